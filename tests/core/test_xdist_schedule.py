"""The suite's pytest-xdist scheduling (tests/_xdist_schedule.py): file-sized units, the kit's
checks one unit per component, handed out longest first; durations.json only orders."""

from __future__ import annotations

import json
from types import SimpleNamespace

import _xdist_schedule as sched
import pytest

KIT = "tests/conformance/test_conformance.py::test_conformance"


@pytest.mark.parametrize(
    ("nodeid", "scope"),
    [
        (f"{KIT}[timm/resnet18-split_at_every_boundary]", f"{KIT}[timm/resnet18]"),
        (
            f"{KIT}[sen/efficientnet-lite0-imagenet@1-builds_as_declared]",
            f"{KIT}[sen/efficientnet-lite0-imagenet@1]",
        ),
        (f"{KIT}[transformers/bert@1#3-eval_is_deterministic]", f"{KIT}[transformers/bert@1#3]"),
        ("tests/core/test_x.py::test_a[1-2]", "tests/core/test_x.py"),
        ("tests/core/test_x.py::TestA::test_b", "tests/core/test_x.py"),
        (
            "tests/conformance/test_conformance.py::test_case_files_import[(none)]",
            "tests/conformance/test_conformance.py",
        ),
        ("tests/core/test_x.py", "tests/core/test_x.py"),
    ],
)
def test_scope_of(nodeid, scope):
    assert sched.scope_of(nodeid) == scope


def test_durations_round_trip_and_unreadable_files(tmp_path):
    path = tmp_path / "d.json"
    sched.save_durations({"b.py": 1.234, "a.py": 0.5}, path)
    assert list(json.loads(path.read_text())) == ["a.py", "b.py"]
    assert sched.load_durations(path) == {"a.py": 0.5, "b.py": 1.23}
    path.write_text("{not json")
    assert sched.load_durations(path) == {}
    path.write_text("[1, 2]")
    assert sched.load_durations(path) == {}
    assert sched.load_durations(tmp_path / "missing.json") == {}


class _Node:
    def __init__(self, name):
        self.sent, self.shutting_down = [], False
        self.gateway = SimpleNamespace(id=name)

    def send_runtest_some(self, indexes):
        self.sent.append(indexes)

    def shutdown(self):
        self.shutting_down = True


def test_units_go_out_longest_first(monkeypatch):
    """Measured units by their seconds, unmeasured ones at DEFAULT_SECONDS a test; a unit's tests
    all go to one worker."""
    monkeypatch.setattr(
        sched, "load_durations", lambda: {"t/slow.py": 9.0, f"{KIT}[timm/resnet18]": 3.0}
    )
    config = SimpleNamespace(
        getvalue=lambda name: ["2*popen"], option=SimpleNamespace(loadscopereorder=True)
    )
    scheduler = sched.make_scheduler(config, None)
    collection = [
        "t/fast.py::test_a",
        "t/many.py::test_a[1]",
        *[f"t/many.py::test_b[{i}]" for i in range(39)],  # 40 unmeasured tests: 4 s
        f"{KIT}[timm/resnet18-builds_as_declared]",
        f"{KIT}[timm/resnet18-eval_is_deterministic]",
        "t/slow.py::test_a",
    ]
    nodes = [_Node("gw0"), _Node("gw1")]
    for node in nodes:
        scheduler.add_node(node)
        scheduler.add_node_collection(node, collection)
    scheduler.schedule()
    order = [
        sorted({sched.scope_of(collection[i]) for i in batch})
        for node in nodes
        for batch in node.sent
    ]
    # slow (9 s) to gw0, many (4 s) to gw1; gw0 has 1 test left, so it gets resnet18 (3 s) too;
    # fast waits for the first worker down to 2 pending tests
    assert [s for batch in nodes[0].sent for s in batch] == [len(collection) - 1, 41, 42]
    assert order == [["t/slow.py"], [f"{KIT}[timm/resnet18]"], ["t/many.py"]]
    assert list(scheduler.workqueue) == ["t/fast.py"]
