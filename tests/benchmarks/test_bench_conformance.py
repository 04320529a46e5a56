"""The conformance kit's dataset checks on every benchmark reader, built on a fixture in its
official layout (the registry-driven suite skips them: their defaults have no data root)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _bench_fixtures import write_davis, write_kinetics, write_kubric, write_qvhighlights
from _bench_layouts import write_kinetics as write_kinetics400
from _bench_layouts import write_msrvtt, write_msrvtt_qa, write_msvd_qa, write_ssv2

from sen_core.testing import checks

SMALL = {"frames": 2, "image_size": 32}
TAPVID = {"image_size": 32}

# dataset -> (writes the fixture under root, params besides root)
CASES: dict[str, tuple[Callable[[Path, Any], object], dict[str, Any]]] = {
    "sen/tapvid-davis-data@1": (lambda root, clips: write_davis(root), TAPVID),
    "sen/tapvid-kinetics-data@1": (lambda root, clips: write_kinetics(root), TAPVID),
    "sen/tapvid-kubric-data@1": (lambda root, clips: write_kubric(root, "train"), TAPVID),
    "sen/qvhighlights-data@1": (lambda root, clips: write_qvhighlights(root), SMALL),
    "sen/msrvtt-data@1": (lambda root, clips: write_msrvtt(root, clips, captions=3), SMALL),
    "sen/kinetics-data@1": (
        write_kinetics400,
        {**SMALL, "clips": 1, "crops": 1},
    ),
    "sen/ssv2-data@1": (write_ssv2, {**SMALL, "crops": 1}),
    "sen/msvd-qa-data@1": (write_msvd_qa, SMALL),
    "sen/msrvtt-qa-data@1": (write_msrvtt_qa, SMALL),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_reader_passes_the_dataset_checks(name, tmp_path, clips):
    """Every dataset check of the kit (samples, collate, batch schema) passes on the fixture."""
    write, params = CASES[name]
    write(tmp_path, clips)
    extra = [(name, {"root": str(tmp_path), **params})]
    mine = [
        (tid, fn) for tid, fn in checks(["dataset"], extra=extra) if tid.startswith(name + "#2")
    ]
    assert len(mine) >= 2, [tid for tid, _ in mine]
    for _, fn in mine:
        fn()
