"""Spec validation: names, extra keys, immutability, one-line summaries, JSON schema."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sen_core import BlockSpec, EncoderSpec, TokenLayout
from sen_core.specs import split_name

LAYOUT = TokenLayout(kind="frames", tokens_per_frame=1)


def _enc(**kw):
    base = {
        "name": "acme/tiny@1",
        "summary": "tiny",
        "factory": "acme.mod:build",
        "modality": "image",
        "layout": LAYOUT,
    }
    return EncoderSpec(**(base | kw))


def test_valid_spec_round_trips_through_json():
    """A valid spec dumps to JSON and validates back to an equal spec."""
    spec = _enc(params={"depth": 2})
    assert EncoderSpec.model_validate_json(spec.model_dump_json()) == spec


def test_extra_key_is_rejected_with_its_name():
    """An unknown field is an error that names the field."""
    with pytest.raises(ValidationError) as err:
        _enc(colour="red")
    assert "colour" in str(err.value) and "Extra inputs are not permitted" in str(err.value)


@pytest.mark.parametrize("bad", ["tiny", "Acme/tiny@1", "acme/", "acme/tiny@v1", "acme//x"])
def test_bad_name_is_rejected_with_the_expected_form(bad):
    """Names must be 'namespace/name[@VERSION]'; the message shows the expected form."""
    with pytest.raises(ValidationError) as err:
        _enc(name=bad)
    assert f"name {bad!r} must be namespaced" in str(err.value)
    assert "'acme/tinyconv@1'" in str(err.value)


def test_specs_are_immutable():
    """Specs are frozen: assignment raises."""
    spec = _enc()
    with pytest.raises(ValidationError):
        spec.width = 3


def test_summary_must_be_one_line():
    """A multi-line summary is rejected."""
    with pytest.raises(ValidationError, match="summary must be one non-empty line"):
        _enc(summary="two\nlines")


def test_factory_must_be_module_colon_attr():
    """The lazy factory reference is checked on creation."""
    with pytest.raises(
        ValidationError, match=r"factory 'acme.mod.build' must be 'package.module:attribute'"
    ):
        BlockSpec(name="acme/b@1", summary="b", factory="acme.mod.build")


def test_split_name():
    """Versions parse as integers; names without a version give None."""
    assert split_name("sen/ra-cross@12") == ("sen/ra-cross", 12)
    assert split_name("timm/resnet18") == ("timm/resnet18", None)
