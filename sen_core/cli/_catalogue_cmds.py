"""``sen list``, ``sen show``, ``sen plugins``, ``sen schema``: read the catalogue (no torch)."""

from __future__ import annotations

import json
from typing import Any

import click

from sen_core.catalogue import Catalogue, get_catalogue, import_ref, normalise_kind
from sen_core.cli._output import print_json, print_table
from sen_core.errors import SenError
from sen_core.specs import (
    KINDS,
    SPEC_TYPES,
    BlockSpec,
    DatasetSpec,
    EncoderSpec,
    FamilySpec,
    HeadSpec,
    PresetSpec,
)

_KIND_CHOICES = [k + "s" for k in KINDS]


def _split_kind_pattern(kind: str | None, pattern: str | None) -> tuple[str | None, str | None]:
    # `sen list 'timm/*vit*'` -- a single argument that is not a kind is a pattern
    if kind is not None and pattern is None:
        try:
            normalise_kind(kind)
        except SenError:
            return None, kind
    return kind, pattern


_AnySpec = EncoderSpec | BlockSpec | HeadSpec | DatasetSpec | PresetSpec | FamilySpec


def _row(spec: _AnySpec) -> list[str]:
    p = spec.provenance
    extra = ""
    if spec.kind == "encoder":
        extra = f"{spec.modality}, D={spec.width or '?'}, prompting={spec.prompting}"
    elif spec.kind == "family":
        extra = (
            f"dynamic {spec.family_of}s; e.g. {', '.join(spec.examples[:2])}"
            if spec.examples
            else f"dynamic {spec.family_of}s"
        )
    elif spec.kind == "head":
        extra = f"task={spec.task}"
    elif spec.kind == "preset":
        extra = spec.preset_kind
    elif spec.kind == "block":
        extra = "recursive" if spec.recursive else "single pass"
    return [spec.name, spec.kind, extra, spec.summary, p.plugin if p else ""]


@click.command("list")
@click.argument("kind", required=False)
@click.argument("pattern", required=False)
@click.option(
    "--modality",
    "-m",
    type=click.Choice(["video", "image", "text", "audio"]),
    help="Only encoders of this modality.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_cmd(kind: str | None, pattern: str | None, modality: str | None, as_json: bool) -> None:
    """List registered components.

    KIND is one of encoders, blocks, heads, datasets, presets (default: all). PATTERN is a
    wildcard ('*vit*'); a bare word matches anywhere in the name. A pattern inside a dynamic
    family ('timm/*vit*') asks that library for its names.
    """
    kind, pattern = _split_kind_pattern(kind, pattern)
    specs = get_catalogue().list(kind, pattern, modality)
    if as_json:
        print_json([s.model_dump(mode="json") | {"name": s.name} for s in specs])
        return
    if not specs:
        click.echo(
            f"nothing matches kind={kind or 'any'} pattern={pattern or '*'} modality={modality or 'any'}; "
            "'sen plugins' shows what is installed",
            err=True,
        )
        return
    print_table(None, ["name", "kind", "details", "summary", "plugin"], [_row(s) for s in specs])


@click.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def show_cmd(name: str, as_json: bool) -> None:
    """Show one component's spec (fields, default params, provenance) and where its code is."""
    catalogue = get_catalogue()
    spec = catalogue.get(name)
    data = spec.model_dump(mode="json") | {"name": spec.name}
    source = _sources(catalogue, spec)
    if as_json:
        print_json(data | {"source": source})
        return
    rows = [[k, json.dumps(v) if isinstance(v, (dict, list)) else v] for k, v in data.items()]
    print_table(spec.name, ["field", "value"], rows)
    for role, where in source.items():
        click.echo(f"{role}: {where}")


def _sources(catalogue: Catalogue, spec: Any) -> dict[str, str]:
    """Role ('factory', 'resolver', 'library', 'file', ...) -> 'path:line' of the code behind it.

    Static components are located from the AST (nothing imported); a name resolved by a dynamic
    family also gets the family's resolver and, when the family has a ``locator``, the library's
    own entry point (which imports the library).
    """
    from sen_core.catalogue.source_location import locate_ref, package_file

    refs: dict[str, str | None] = {}
    if spec.kind == "preset":
        refs["file"] = package_file(spec.resource)
    elif spec.kind == "family":
        refs = {"resolver": locate_ref(spec.resolver), "lister": locate_ref(spec.lister)}
    else:
        refs["factory"] = locate_ref(spec.factory)
        family = None if catalogue.spec(spec.name) else _family_of(catalogue, spec.name)
        if family is not None:
            refs["resolver"] = locate_ref(family.resolver)
            if family.locator:
                refs["library"] = import_ref(family.locator)(spec.name)
    return {role: where for role, where in refs.items() if where}


def _family_of(catalogue: Catalogue, name: str) -> FamilySpec | None:
    """The family whose namespace is the longest prefix of ``name``."""
    hits = [f for f in catalogue.families() if name.startswith(f.namespace + "/")]
    return max(hits, key=lambda f: len(f.namespace), default=None)


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins_cmd(as_json: bool) -> None:
    """List loaded plugins (entry-point group 'sen'), and those that failed with the reason."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # failures are shown in the table instead
        cat = get_catalogue()
    if as_json:
        print_json([p.as_dict() for p in cat.plugins])
        return
    rows = [
        [
            p.name,
            p.distribution or "",
            p.version or "",
            ", ".join(p.hooks),
            p.components,
            "ok" if p.ok else f"FAILED: {p.error}",
        ]
        for p in cat.plugins
    ]
    print_table(None, ["plugin", "distribution", "version", "hooks", "components", "status"], rows)


@click.command("schema")
@click.argument("kind")
def schema_cmd(kind: str) -> None:
    """Print the JSON schema of a spec KIND (encoder, block, head, dataset, preset, family, network, run)."""
    from sen_core.config.run_config import RunConfig
    from sen_core.network.spec import NetworkSpec

    models = dict(SPEC_TYPES) | {"network": NetworkSpec, "run": RunConfig}
    key = kind.lower()
    key = {"families": "family"}.get(
        key, key[:-1] if key.endswith("s") and key[:-1] in models else key
    )
    if key not in models:
        raise SenError(f"unknown kind '{kind}'; expected one of: {', '.join(models)}")
    model = models[key]
    print_json(model.model_json_schema())


def register(cli: click.Group) -> None:
    for cmd in (list_cmd, show_cmd, plugins_cmd, schema_cmd):
        cli.add_command(cmd)
