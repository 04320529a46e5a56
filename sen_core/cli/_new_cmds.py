"""``sen new plugin NAME``: scaffold a complete third-party plugin distribution.

The templates (package data in ``sen_core/cli/templates/plugin``) are the example plugin's
components, renamed into the new namespace: a FiLM-prompted toy CNN encoder, an integrate-only
RA block and a linear-probe head, plus a synthetic dataset and a run preset that uses the
plugin's components (SEN's own where a kind is left out), a pyproject with the entry point, a
README and tests that run SEN's conformance kit. Nothing heavy is imported.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from string import Template

import click

from sen_core.errors import ConfigError

KINDS = ("encoder", "block", "head", "dataset", "preset")
_MODULE = {"encoder": "tinyconv", "block": "meanmix", "head": "probe", "dataset": "clips"}
_NAMES = {
    "encoder": "tinyconv@1",
    "block": "mean-mix@1",
    "head": "linear-probe@1",
    "dataset": "color-clips@1",
    "preset": "demo@1",
}
_SPEC_CLASSES = {
    "encoder": ("EncoderSpec", "Preprocess", "TokenLayout"),
    "block": ("BlockSpec",),
    "head": ("HeadSpec",),
    "dataset": ("DatasetSpec",),
    "preset": ("PresetSpec",),
}
# What the preset uses where the plugin has no component of that kind: SEN's own.
_PRESET_DEFAULTS = {
    "encoder": "sen/efficientnet-lite0-imagenet@1",
    "block": "sen/ra-cross@1",
    "head": "sen/classify-linear@1",
    "dataset": "sen/shapes@1",
}
_HOOKS = {
    "encoder": """

@hookimpl
def sen_encoders(register):
    register(
        EncoderSpec(
            name="${ns}/tinyconv@1",
            summary="A 3-stage toy CNN on frames, prompted with FiLM",
            factory="${module}.tinyconv:build",
            modality="image",
            width=32,
            layout=TokenLayout(kind="frames", tokens_per_frame=16, grid=(4, 4)),
            preprocess=Preprocess(image_size=32, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
            prompting="film",
            params={"channels": [8, 16, 32], "image_size": 32},
        )
    )
""",
    "block": """

@hookimpl
def sen_blocks(register):
    register(
        BlockSpec(
            name="${ns}/mean-mix@1",
            summary="Integrate-only block: the state moves towards each neuron's mean token",
            factory="${module}.meanmix:build",
            params={"rate": 0.5},
        )
    )
""",
    "head": """

@hookimpl
def sen_heads(register):
    register(
        HeadSpec(
            name="${ns}/linear-probe@1",
            summary="Linear classifier on the pooled state, cross-entropy, top-1",
            factory="${module}.probe:build",
            task="recognition",
            metrics=("top1",),
            params={"num_classes": 10},
        )
    )
""",
    "dataset": """

@hookimpl
def sen_datasets(register):
    register(
        DatasetSpec(
            name="${ns}/color-clips@1",
            summary="Synthetic clips of one noisy colour each: label, class names, caption",
            factory="${module}.clips:build",
            params={"num_samples": 16, "frames": 4, "image_size": 32, "seed": 0},
            tasks=("classification", "retrieval"),
        )
    )
""",
    "preset": """

@hookimpl
def sen_presets(register):
    register(
        PresetSpec(
            name="${ns}/demo@1",
            summary="A small network of ${dist}, trained for a few steps",
            preset_kind="run",
            resource="${module}:presets/demo.yaml",  # package data (pyproject.toml)
        )
    )
""",
}
_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def _template(name: str) -> str:
    return (resources.files("sen_core.cli") / "templates" / "plugin" / name).read_text("utf-8")


def scaffold(name: str, kinds: tuple[str, ...], dest: Path) -> list[Path]:
    """Write the distribution ``name`` into ``dest/name``; return the files written.

    Args:
        name: the distribution name, lower-case words joined by '-' (e.g. 'acme-check'); its first
            word is the component namespace, the module is the name with '_'.
        kinds: which components to include (any of 'encoder', 'block', 'head', 'dataset',
            'preset'; a preset uses SEN's own components for the kinds left out).
        dest: the folder to create the project in.

    Raises:
        ConfigError: a bad name, an unknown kind, or a folder that already exists.
    """
    if not _NAME_RE.match(name):
        raise ConfigError(
            f"plugin name '{name}': expected lower-case words joined by '-', e.g. 'acme-check'"
        )
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise ConfigError(f"--kind {bad or '(none)'}: expected some of {', '.join(KINDS)}")
    root = dest / name
    if root.exists():
        raise ConfigError(f"{root}: already exists; choose another name or folder")
    module = name.replace("-", "_")
    ns = name.split("-", maxsplit=1)[0]
    names = [f"{ns}/{_NAMES[k]}" for k in kinds]
    imports = sorted({c for k in kinds for c in _SPEC_CLASSES[k]} | {"hookimpl"})
    values = {
        "dist": name,
        "module": module,
        "ns": ns,
        "names": ", ".join(repr(n) for n in names),
        "components": "\n".join(f"- `{n}` ({k})" for n, k in zip(names, kinds, strict=True)),
        "imports": _import_list(imports),
        "hooks": "".join(
            Template(_HOOKS[k]).substitute(ns=ns, module=module, dist=name) for k in kinds
        ),
        "package_data": (
            f'\n[tool.setuptools.package-data]\n{module} = ["presets/*.yaml"]\n'
            if "preset" in kinds
            else ""
        ),
    }
    files = {
        "pyproject.toml": _template("pyproject.toml.tmpl"),
        "README.md": _template("README.md.tmpl"),
        f"{module}/__init__.py": f'"""{name}: a SEN plugin (see README.md)."""\n',
        f"{module}/plugin.py": _template("plugin.py.tmpl"),
        "tests/test_conformance.py": _template("test_conformance.py.tmpl"),
    }
    for k in kinds:
        if k in _MODULE:
            files[f"{module}/{_MODULE[k]}.py"] = _template(f"{k}.py.tmpl")
    if "preset" in kinds:
        files[f"{module}/presets/demo.yaml"] = Template(_template("preset.yaml.tmpl")).substitute(
            values | _preset_values(ns, kinds)
        )
    written = []
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(text).substitute(values), encoding="utf-8")
        written.append(path)
    return written


def _import_list(names: list[str]) -> str:
    """``A, B`` after ``from sen_core import``; parenthesised one per line when it would be long."""
    flat = ", ".join(names)
    if len(flat) + len("from sen_core import ") <= 100:
        return flat
    return "(\n" + "".join(f"    {n},\n" for n in names) + ")"


def _preset_values(ns: str, kinds: tuple[str, ...]) -> dict[str, str]:
    """The preset's components: the plugin's own of each kind it has, SEN's otherwise."""
    pick = {k: f"{ns}/{_NAMES[k]}" if k in kinds else d for k, d in _PRESET_DEFAULTS.items()}
    own_data = "dataset" in kinds
    return {
        "encoder": pick["encoder"],
        "encoder_params": "" if "encoder" in kinds else ", params: {image_size: 32}",
        "block": pick["block"],
        "head": pick["head"],
        "dataset": pick["dataset"],
        "num_classes": "3" if own_data else "12",  # color-clips: 3 colours; shapes: 3 x 4 motions
        "data_params": (
            "{num_samples: 16, frames: 4}"
            if own_data
            else "{num_samples: 16, frames: 4, image_size: 32, num_shapes: 1}"
        ),
    }


def register(cli: click.Group) -> None:
    @cli.group("new")
    def new() -> None:
        """Create a new project from a template."""

    @new.command("plugin")
    @click.argument("name")
    @click.option(
        "--kind",
        "kinds",
        multiple=True,
        type=click.Choice(KINDS),
        help="Component kinds to include (repeatable; default: all five).",
    )
    @click.option(
        "--dir",
        "dest",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help="Folder to create the project in.",
    )
    def plugin(name: str, kinds: tuple[str, ...], dest: Path) -> None:
        """Scaffold plugin distribution NAME: pyproject with the entry point, components, tests.

        \b
        sen new plugin acme-check && pip install ./acme-check && (cd acme-check && pytest)
        """
        written = scaffold(name, kinds or KINDS, dest)
        click.echo(f"created {dest / name} ({len(written)} files); next:")
        click.echo(f"  pip install -e {dest / name} && (cd {dest / name} && pytest)")
