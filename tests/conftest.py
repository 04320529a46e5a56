"""Suite-wide settings: offline, deterministic, single-threaded torch for stable timings on 2 cores."""

import gc
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # _shared.py: helpers several directories use

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("MPLBACKEND", "Agg")

# A tiny real network: a random 1-layer timm ViT on 32 px frames, a linear classifier, sen/shapes@1.
TINY = """\
name: tiny
model:
  neurons:
    - name: timm/vit_tiny_patch16_224
      key: vit
      input: frames
      params: {image_size: 32, tokens_per_frame: cls, model_kwargs: {img_size: 32, depth: 1, embed_dim: 32, num_heads: 2}}
  anchor: vit
  depth: 1
  width: 32
  attn_heads: 2
  token_budget: 8
  prompt_tokens: 2
  heads:
    - {name: sen/classify-linear@1, key: classify, params: {num_classes: 12}}
data:
  name: sen/shapes@1
  params: {num_samples: 12, frames: 2, image_size: 32}
train: {steps: 3, batch_size: 4, warmup_steps: 1, checkpoint_every: 2, log_every: 1, eval_batches: 2, device: cpu}
"""


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """The suite's temporary folders (tmp_path, tmp_path_factory) in RAM (/dev/shm) where there is
    one, unless --basetemp says otherwise: runs write checkpoints, SQLite stores and videos, and on
    a disk each sync leaves the worker idle. One fresh folder per run (sessions beside this one
    may be testing too); the controller removes it at the end, the pytest-xdist workers get
    sub-folders of it."""
    if config.option.basetemp is not None or hasattr(config, "workerinput"):
        return
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        config.option.basetemp = tempfile.mkdtemp(prefix="sen-pytest-", dir=shm)
        config.add_cleanup(lambda: shutil.rmtree(config.option.basetemp, ignore_errors=True))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    """What collecting made -- the imported libraries, the test modules, their parameters: about
    450,000 objects that live for the whole run -- leaves the cyclic garbage collector's view
    (gc.freeze), so each full collection during the tests scans only what the tests made. It cut
    the collector's time in tests/conformance from 5.8 s to 3.1 s."""
    gc.collect()
    gc.freeze()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """An xdist worker leaves at once when pytest is done with it: everything it reports was sent
    at the end of its session, and the interpreter's own teardown of a process that has loaded
    torch, transformers, Ray and MLflow took 3-5 s, during which the run waited for it."""
    if hasattr(config, "workerinput"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


@pytest.fixture
def tiny(tmp_path):
    """Path of a YAML run config of the tiny real network (TINY)."""
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.fixture(autouse=True)
def _no_curve_plots(request, monkeypatch):
    """Training runs in the suite skip the end-of-training curves.png (matplotlib draws 10-20 panels,
    about 1.6 s a run on these machines); tests that check the picture are marked ``curves``
    (or call run_train(plot=True) in tests/train)."""
    if request.node.get_closest_marker("curves") is None:
        monkeypatch.setattr("sen_core.train.engine.plot_curves", lambda *a, **k: None)


@pytest.fixture(autouse=True)
def _torch_process_settings():
    """Put torch's process-wide settings back after each test: the demo (run in-process by
    tests/demo) sets its thread count and deterministic kernels, and a second torch thread in one
    pytest-xdist worker fights the other worker for the 2 cores (it tripled the CPU time of every
    later test in that worker)."""
    yield
    torch = sys.modules.get("torch")
    if torch is None:
        return
    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    if torch.are_deterministic_algorithms_enabled():
        torch.use_deterministic_algorithms(False)


@pytest.fixture(scope="session")
def mlflow_uri(tmp_path_factory):
    """One MLflow SQLite store per test process (tests/train and tests/sweep trackers; each test
    logs under an experiment of its own), in RAM (/dev/shm) where there is one: SQLite syncs every
    commit to disk, and creating MLflow's schema there left its xdist worker idle ~5 s."""
    from sen_core.train.trackers._mlflow import client

    shm = Path("/dev/shm")
    ram = shm.is_dir() and os.access(shm, os.W_OK)
    folder = Path(tempfile.mkdtemp(prefix="sen-tests-", dir=shm)) if ram else None
    uri = f"sqlite:///{(folder or tmp_path_factory.mktemp('mlflow')) / 'mlflow.db'}"
    client(uri).search_experiments()  # create the schema once
    yield uri
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
