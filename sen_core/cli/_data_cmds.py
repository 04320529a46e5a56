"""``sen data``: dataset utilities (``sen data write-kubric-lite``)."""

from __future__ import annotations

import click


@click.group("data")
def data_group() -> None:
    """Dataset utilities: `sen data write-kubric-lite`."""


@data_group.command("write-kubric-lite")
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--split", default="train", show_default=True, help="Split (its own RNG stream).")
@click.option(
    "--num", default=64, show_default=True, type=click.IntRange(1), help="Clips to write."
)
@click.option("--frames", default=24, show_default=True, type=click.IntRange(2), help="T frames.")
@click.option(
    "--image-size", default=256, show_default=True, type=click.IntRange(16), help="H = W."
)
@click.option("--points", default=256, show_default=True, type=click.IntRange(1), help="N points.")
@click.option("--objects", default=3, show_default=True, type=click.IntRange(1, 8), help="Objects.")
@click.option("--seed", default=0, show_default=True, help="Data seed (changes every scene).")
def write_kubric_lite_cmd(
    out_dir: str,
    split: str,
    num: int,
    frames: int,
    image_size: int,
    points: int,
    objects: int,
    seed: int,
) -> None:
    """Write a fixed copy of sen/kubric-lite@1 in the TAP-Vid-Kubric fields: OUT_DIR/SPLIT/ holds
    one .npz per clip (video uint8, query_points t,y,x, target_points x,y, occluded) and
    index.json. Nothing is left behind when it fails; an existing non-empty OUT_DIR/SPLIT is refused.

    \b
      sen data write-kubric-lite data/kubric-lite --split val --num 512
    """
    from sen_core.catalogue import get_catalogue, import_ref
    from sen_core.params import call_factory

    spec = get_catalogue().get("sen/kubric-lite@1", kind="dataset")
    params = {
        **spec.params,
        "num_samples": num,
        "frames": frames,
        "image_size": image_size,
        "num_points": points,
        "num_objects": objects,
        "seed": seed,
    }
    ds = call_factory(spec, import_ref(spec.factory), split=split, **params)
    folder = ds.write(out_dir, num)
    click.echo(
        f"wrote {num} clips ({frames} x {image_size}x{image_size}, {points} points) to {folder}"
    )


def register(cli: click.Group) -> None:
    cli.add_command(data_group)
