"""The token-prompted encoder of docs/plugins.md passes the conformance kit as written."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

import sen_core.catalogue
from sen_core.catalogue._catalogue import Catalogue
from sen_core.specs import EncoderSpec, Preprocess, Provenance, TokenLayout
from sen_core.testing import checks

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def test_the_documented_token_encoder_passes_the_kit(monkeypatch):
    """The module and spec blocks of "A token-prompted encoder, complete", with a second case
    (tokens_per_frame='cls'): every encoder check passes, the shape probe included."""
    text = DOC.read_text().split("### A token-prompted encoder, complete", 1)[1]
    module_code, spec_code = re.findall(r"```python\n(.*?)```", text, re.S)[:2]
    pkg = types.ModuleType("sen_acme")
    pkg.__path__ = []
    mod = types.ModuleType("sen_acme.tinyvit")
    monkeypatch.setitem(sys.modules, "sen_acme", pkg)
    monkeypatch.setitem(sys.modules, "sen_acme.tinyvit", mod)
    exec(compile(module_code, "docs/plugins.md:tinyvit", "exec"), mod.__dict__)
    names = {"EncoderSpec": EncoderSpec, "TokenLayout": TokenLayout, "Preprocess": Preprocess}
    spec = eval(compile(spec_code, "docs/plugins.md:spec", "eval"), names)
    cat = Catalogue()  # SEN's own components (the cached-step check builds a network) + acme's
    real = sen_core.catalogue.get_catalogue()
    for known in {id(s): s for s in [*real.list(), *real.families()]}.values():
        cat.add(known)
    cat.add(
        spec.model_copy(update={"provenance": Provenance(plugin="acme", distribution="sen-acme")})
    )
    monkeypatch.setattr(sen_core.catalogue, "get_catalogue", lambda: cat)
    found = checks(["encoder"], ["sen-acme"], [("acme/tinyvit@1", {"tokens_per_frame": "cls"})])
    assert len(found) == 26  # 13 encoder checks x (defaults, tokens_per_frame=cls)
    for _, check in found:
        check()  # raises CheckFailure naming the component and the check


@pytest.mark.parametrize("section", ["### Names", "**Video encoders and clip length.**"])
def test_plugins_md_answers_where_authors_look(section):
    assert section in DOC.read_text()
