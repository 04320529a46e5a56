"""torchrun worker for test_distributed.py: train the fake network data-parallel, dump each rank's result.

Usage: python -m torch.distributed.run --standalone --nproc_per_node=2 _ddp_worker.py RUN_ROOT OUT_DIR
Scenario 1 trains 4 steps into RUN_ROOT/ok; scenario 2 makes the loss NaN on rank 1 only at step 2
(into RUN_ROOT/nan): every rank must stop with DivergedError instead of hanging.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import _train_fakes as fk
import torch.distributed as dist
from safetensors.torch import save_file

from sen_core.train import DivergedError, engine, train

# drawing is tested elsewhere; it costs seconds here (setattr: the name is engine's own import)
setattr(engine, "plot_curves", lambda *a, **k: None)  # noqa: B010


def main() -> None:
    root, out = Path(sys.argv[1]), Path(sys.argv[2])
    rank = int(os.environ["RANK"])
    dist.init_process_group("gloo")  # one group for both scenarios: train() leaves it alone
    net = fk.FakeNet(linear=True)
    config = fk.make_config(steps=4, batch_size=4, checkpoint_every=2, log_every=1)
    result = train(config, root / "ok", progress=False, model=net, datasets=fk.make_datasets())
    save_file(fk.trainable(net), str(out / f"rank{rank}.safetensors"))
    bad = fk.FakeNet(linear=True, nan_at=2 if rank == 1 else None)
    try:
        train(config, root / "nan", progress=False, model=bad, datasets=fk.make_datasets())
        diverged = None
    except DivergedError as exc:
        diverged = str(exc)
    (out / f"rank{rank}.json").write_text(
        json.dumps({"result": result, "diverged": diverged, "dist_still_up": dist.is_initialized()})
    )
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
