"""``sen train`` and ``sen eval``: train a config into a run directory, score a run on a split."""

from __future__ import annotations

import math
import os
from pathlib import Path

import click

from sen_core.cli._output import print_json, print_table
from sen_core.errors import SenError


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    return str(value)


def _is_main_process() -> bool:
    return os.environ.get("RANK", "0") == "0"  # under torchrun only rank 0 prints


def _strict_versions(flag: bool) -> None:
    """--strict-versions: through the environment, so every process of the run sees it."""
    if flag:
        from sen_core.catalogue.provenance import STRICT_ENV

        os.environ[STRICT_ENV] = "1"


@click.command("train")
@click.argument("config")
@click.argument("overrides", nargs=-1)
@click.option(
    "--run-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Run directory (default: runs/<config name>).",
)
@click.option("--resume", is_flag=True, help="Continue from the run directory's newest checkpoint.")
@click.option(
    "--no-progress", is_flag=True, help="No progress bar (logs still go to metrics.jsonl)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the final metrics as JSON.")
@click.option(
    "--feature-cache",
    "feature_cache",
    is_flag=False,
    flag_value="default",
    default=None,
    metavar="[DIR]",
    help="Reuse prompt-free (step-0) neuron features from an on-disk cache "
    "(DIR, or $SEN_CACHE_DIR / ~/.cache/sen/features when given without a value).",
)
@click.option(
    "--log",
    "log",
    metavar="NAMES",
    default=None,
    help="Experiment trackers, comma-separated: tensorboard, mlflow (sets train.loggers; "
    "MLflow store: train.mlflow_uri, else $MLFLOW_TRACKING_URI, else sqlite:///runs/mlflow.db).",
)
@click.option(
    "--strict-versions",
    is_flag=True,
    help="Refuse a run saved with other plugin versions than are installed "
    "(default: warn; same as SEN_STRICT_VERSIONS=1).",
)
def train_cmd(
    config: str,
    overrides: tuple[str, ...],
    run_dir: Path | None,
    resume: bool,
    no_progress: bool,
    as_json: bool,
    feature_cache: str | None,
    log: str | None,
    strict_versions: bool,
) -> None:
    """Train CONFIG (a YAML file or a preset name such as sen/demo@1).

    \b
    OVERRIDES are dotted key=value pairs applied on top of the config:
      sen train sen/demo@1 train.steps=50 train.lr=3e-4 model.depth=1
    Data-parallel on one machine (gloo on CPU, NCCL on GPUs):
      torchrun --standalone --nproc_per_node=2 "$(which sen)" train CONFIG
    """
    _strict_versions(strict_versions)
    bad = [o for o in overrides if "=" not in o or o.startswith("=")]
    if bad:
        raise SenError(f"override '{bad[0]}' must be key=value, e.g. train.steps=50")
    from sen_core.config import load_run_config
    from sen_core.train import train
    from sen_core.train.trackers import parse_loggers, require_extras

    if log is not None:  # an override like any other, so config.yaml records it
        overrides = (*overrides, f"train.loggers=[{','.join(parse_loggers(log))}]")
    cfg = load_run_config(config, list(overrides))
    require_extras(cfg.train.loggers)  # before anything heavy is built
    run_dir = run_dir or Path("runs") / cfg.name
    cache = None
    if feature_cache is not None:
        from sen_core.neuron.cache import FeatureCache

        cache = FeatureCache(None if feature_cache == "default" else feature_cache)
    metrics = train(cfg, run_dir, resume=resume, progress=not no_progress, feature_cache=cache)
    if not _is_main_process():
        return
    if as_json:
        print_json({"run_dir": str(run_dir), **metrics})
        return
    click.echo(f"{cfg.name}: trained to step {metrics.get('step')} in {run_dir}")
    print_table(
        None, ["metric", "value"], [[k, _fmt(v)] for k, v in metrics.items() if k != "step"]
    )


@click.command("eval")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--split", default="test", show_default=True, help="Dataset split to score.")
@click.option(
    "--batches", type=click.IntRange(min=1), default=None, help="Score only the first N batches."
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=None,
    help="Default: the run's train.batch_size.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help="DataLoader decode processes (default: the run's train.num_workers).",
)
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the metrics to this JSON file.",
)
@click.option(
    "--strict-versions",
    is_flag=True,
    help="Refuse a run saved with other plugin versions than are installed "
    "(default: warn; same as SEN_STRICT_VERSIONS=1).",
)
def eval_cmd(
    run_dir: Path,
    split: str,
    batches: int | None,
    batch_size: int | None,
    workers: int | None,
    device: str,
    as_json: bool,
    output: Path | None,
    strict_versions: bool,
) -> None:
    """Score the newest checkpoint of RUN_DIR on a held-out split with every head's metrics.

    Under torchrun (torchrun --standalone --nproc_per_node=N "$(which sen)" eval RUN_DIR) each process
    scores a part of the split and rank 0 prints the metrics of the whole split.
    """
    _strict_versions(strict_versions)
    from sen_core._io import atomic_write_json
    from sen_core.train import RunDir, evaluate
    from sen_core.train.distributed import dist_info_from_env

    ckpt = RunDir(run_dir).require_checkpoint()  # a clear error before anything heavy is built
    metrics = evaluate(
        run_dir,
        split=split,
        batches=batches,
        batch_size=batch_size,
        device=device,
        num_workers=workers,
    )
    if not dist_info_from_env().is_main:
        return
    record = {"run_dir": str(run_dir), "checkpoint": ckpt.name, "split": split, "metrics": metrics}
    if output is not None:
        atomic_write_json(output, record)
    if as_json:
        print_json(record)
        return
    click.echo(f"{run_dir} ({ckpt.name}) on split '{split}'")
    print_table(None, ["metric", "value"], [[k, _fmt(v)] for k, v in metrics.items()])


@click.command("predict")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--split", default="test", show_default=True, help="Dataset split to predict.")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Predictions file (.npz: tracking, retrieval, class scores; .jsonl: moments, answers).",
)
@click.option("--head", default=None, help="Which head (default: the only one with a writer).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None)
@click.option("--batches", type=click.IntRange(min=1), default=None, help="Only the first N.")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help="DataLoader decode processes (default: the run's train.num_workers).",
)
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda.")
@click.option(
    "--visualize",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also draw the first samples' predictions into this folder (PNG/GIF; tracking, moments).",
)
@click.option(
    "--visualize-samples",
    type=click.IntRange(min=1, max=100),
    default=4,
    show_default=True,
    help="How many samples --visualize draws.",
)
def predict_cmd(
    run_dir: Path,
    split: str,
    out: Path,
    head: str | None,
    batch_size: int | None,
    batches: int | None,
    workers: int | None,
    device: str,
    visualize: Path | None,
    visualize_samples: int,
) -> None:
    """Write RUN_DIR's per-sample predictions on a split in the benchmark's official layout.

    \b
    Works on splits without ground truth (a test server's split). Streamed: memory stays flat.
    The file appears only when every batch succeeded (nothing partial). Under torchrun each
    process predicts a part of the split and rank 0 joins the parts into FILE.
    \b
    Formats (one writer per task; docs/benchmarks/):
      tracking -> .npz, per video id V (TAP-Vid, 256x256 raster, tapnet's arrays):
        V/query_points (Q,3) t,y,x  V/pred_tracks (Q,T,2) x,y  V/pred_occluded (Q,T)
        V/query_mode  and, with ground truth, V/target_points (Q,T,2)  V/occluded (Q,T)
        score: tapnet compute_tapvid_metrics per video, mean over videos
      moments -> .jsonl, one line per query (QVHighlights submission):
        {qid, query, vid, pred_relevant_windows [[start, end, score]] seconds, best first,
         pred_saliency_scores [one per 2-s clip]}
        score: moment_detr standalone_eval/eval.py --submission_path FILE --gt_path GT
      retrieval -> .npz (MSR-VTT): sim_matrix (N_text, N_video) float32 cosine, pairs on the
        diagonal; text_ids (csv key / sen_id), video_ids, captions. The N x N product is formed
        at the end (4 MB at 1k x 1k); embeddings are spooled to a temporary file meanwhile.
        score: CLIP4Clip metrics.compute_metrics(sim_matrix) (t2v), (sim_matrix.T) (v2t)
      recognition -> .npz (Kinetics, SSv2): scores (N_video, C) float32, the softmax of each
        video's test views (clips x crops) averaged; video_ids, class_names, labels (if any)
        score: MMAction2 top_k_accuracy(list(scores), labels, (1, 5))
      recognition -> .jsonl, one line per video / question (MSVD-QA, MSRVTT-QA):
        {question_id, video_id, question, answer, pred}  ({ids..., label, pred} on classes)
        score: exact match, mean(pred == answer)
      qa (sen/qa-lm@1) -> .jsonl: {question_id, video_id, question, answer, pred} with pred the
        generated text; score: exact match after SQuAD normalisation (sen eval's exact_match)
    \b
    --visualize DIR draws the first samples: tracking -> V_tracks.png (a strip of frames,
    predicted points o, true points +, one colour per track) and V_tracks.gif; moments ->
    QID_moments.png (true and top-5 predicted windows on a timeline, saliency per 2-s clip).
    """
    from sen_core.train import RunDir
    from sen_core.train.predict import predict

    RunDir(run_dir).require_checkpoint()
    info = predict(
        run_dir,
        split=split,
        out=out,
        head=head,
        batch_size=batch_size,
        batches=batches,
        device=device,
        num_workers=workers,
        visualize=visualize,
        visualize_samples=visualize_samples,
    )
    from sen_core.train.distributed import dist_info_from_env

    if not dist_info_from_env().is_main:
        return
    click.echo(
        f"wrote {info['out']}: {info['samples']} {info['task']} predictions of head '{info['head']}' on split '{split}'"
    )
    if info["pictures"]:
        click.echo(f"drew {len(info['pictures'])} picture(s) into {visualize}")


def register(cli: click.Group) -> None:
    cli.add_command(train_cmd)
    cli.add_command(eval_cmd)
    cli.add_command(predict_cmd)
