"""Plugin loading and catalogue queries: collisions, did-you-mean, broken plugins, allow-list."""

from __future__ import annotations

import sys
import warnings

import pytest

from sen_core.catalogue._plugins import load_catalogue
from sen_core.errors import PluginLoadError, PluginWarning, UnknownNameError


def test_name_collision_skips_the_later_plugin_naming_both(encoder_plugin):
    """A name already taken skips the plugin that came second, with both distributions named."""
    a = encoder_plugin("alpha", "acme/enc@1", dist="acme-alpha")
    b = encoder_plugin("beta", "acme/enc@1", dist="acme-beta")
    with pytest.warns(PluginWarning) as rec:
        cat = load_catalogue([a, b], strict=False, allow=None)
    assert str(rec[0].message) == (
        "sen: plugin 'beta' (distribution 'acme-beta 1.0') registered 'acme/enc@1', which "
        "plugin 'alpha' (distribution 'acme-alpha 1.0') already registered; skipped"
    )
    assert cat.get("acme/enc@1").provenance.distribution == "acme-alpha"
    assert [(p.name, p.ok) for p in cat.plugins] == [("alpha", True), ("beta", False)]


def test_reserved_namespace_is_refused_to_third_parties(encoder_plugin):
    """A third party registering any sen/ name is skipped; the catalogue keeps working."""
    bad = encoder_plugin("acme", "sen/ra-cross@1", dist="acme-bad")
    good = encoder_plugin("good", "acme/enc@1")
    with pytest.warns(PluginWarning, match=r"reserved 'sen/' namespace"):
        cat = load_catalogue([bad, good], strict=False, allow=None)
    assert "acme/enc@1" in cat and "sen/ra-cross@1" not in cat
    assert cat.failed_plugins()[0].name == "acme"


@pytest.mark.parametrize(
    "name", ["timm/my-vit@1", "open_clip/my-clip@1", "transformers/my-bert@1", "sen/x@2"]
)
def test_every_namespace_sen_owns_is_refused_naming_plugin_and_name(encoder_plugin, name):
    """timm/, open_clip/ and transformers/ are SEN's like sen/: one line naming who and what."""
    bad = encoder_plugin("acme", name, dist="acme-bad")
    with pytest.warns(PluginWarning) as rec:
        cat = load_catalogue([bad], strict=False, allow=None)
    ns = name.split("/")[0]
    msg = str(rec[0].message)
    assert msg.startswith(
        f"sen: plugin 'acme' (distribution 'acme-bad 1.0') registered '{name}' in the reserved "
        f"'{ns}/' namespace, which SEN owns"
    ), msg
    assert msg.endswith("use your own namespace; skipped") and "\n" not in msg
    assert name not in cat and cat.failed_plugins()[0].name == "acme"


def test_first_party_may_register_in_its_namespaces(encoder_plugin):
    """The 'sen' distribution (SEN's own plugins) registers timm/ names without a warning."""
    own = encoder_plugin("timm2", "timm/extra@1", dist="sen")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cat = load_catalogue([own], strict=False, allow=None)
    assert "timm/extra@1" in cat


def test_strict_mode_makes_a_collision_fatal_with_fixed_wording(encoder_plugin):
    """Under strict mode the message says it is fatal, not that the plugin was skipped."""
    a = encoder_plugin("alpha", "acme/enc@1", dist="acme-alpha")
    b = encoder_plugin("beta", "acme/enc@1", dist="acme-beta")
    with pytest.raises(PluginLoadError) as err:
        load_catalogue([a, b], strict=True, allow=None)
    assert str(err.value).endswith("already registered (fatal because SEN_STRICT_PLUGINS=1)")
    assert "skipped" not in str(err.value)


@pytest.mark.parametrize("name", ["acme/foo", "acme/a/b@1", "acme/a/b"])
def test_registered_names_follow_the_grammar(encoder_plugin, name):
    """Registered names are exactly namespace/name@VERSION; anything else skips the plugin."""
    with pytest.warns(PluginWarning, match="not 'namespace/name@VERSION'"):
        cat = load_catalogue([encoder_plugin("acme", name)], strict=False, allow=None)
    assert len(cat) == 0


def test_unknown_name_mentions_failed_plugins(encoder_plugin, plugin_source):
    """After a plugin failed to load, an unknown name says that plugin may provide it."""
    broken = plugin_source("acme", "", dist="acme-enc")
    broken.load = lambda: (_ for _ in ()).throw(ImportError("no torchh"))
    with pytest.warns(PluginWarning):
        cat = load_catalogue([broken, encoder_plugin("good", "acme/enx@1")], allow=None)
    with pytest.raises(UnknownNameError) as err:
        cat.get("acme/enc@1")
    assert str(err.value) == (
        "unknown component 'acme/enc@1'; did you mean 'acme/enx@1'? (plugin 'acme' (distribution "
        "'acme-enc 1.0') failed to load and may provide it; see 'sen plugins')"
    )


def test_unknown_name_suggests_close_matches(encoder_plugin):
    """get() of a misspelt name suggests the registered one."""
    cat = load_catalogue([encoder_plugin("alpha", "acme/tinyconv@1")], allow=None)
    with pytest.raises(UnknownNameError) as err:
        cat.get("acme/tinycomv@1")
    assert str(err.value) == "unknown component 'acme/tinycomv@1'; did you mean 'acme/tinyconv@1'?"


def test_get_without_version_picks_newest(encoder_plugin):
    """A name without @version resolves to the highest registered version."""
    cat = load_catalogue(
        [encoder_plugin("a", "acme/enc@1"), encoder_plugin("b", "acme/enc@2")], allow=None
    )
    assert cat.get("acme/enc").name == "acme/enc@2"


def test_plugin_that_raises_on_import_is_skipped_with_a_warning(encoder_plugin, plugin_source):
    """A broken plugin is reported with its distribution and exception; the others still load."""

    def boom():
        raise ImportError("no module named 'torchh'")

    broken = plugin_source("broken", "")
    broken.load = boom
    good = encoder_plugin("good", "acme/enc@1")
    with pytest.warns(PluginWarning) as rec:
        cat = load_catalogue([broken, good], strict=False, allow=None)
    assert "acme/enc@1" in cat
    msg = str(rec[0].message)
    assert msg == (
        "sen: plugin 'broken' (distribution 'sen-broken 1.0') failed to import: "
        "ImportError: no module named 'torchh'; skipped"
    )
    failed = [p for p in cat.plugins if not p.ok]
    assert [p.name for p in failed] == ["broken"]


def test_strict_mode_makes_a_broken_plugin_fatal(monkeypatch, encoder_plugin, plugin_source):
    """SEN_STRICT_PLUGINS=1 turns the skipped plugin into PluginLoadError."""
    monkeypatch.setenv("SEN_STRICT_PLUGINS", "1")
    bad = plugin_source("bad", "")
    bad.load = lambda: (_ for _ in ()).throw(RuntimeError("bad plugin"))
    with pytest.raises(
        PluginLoadError, match=r"plugin 'bad' .* failed to import: RuntimeError: bad plugin"
    ):
        load_catalogue([bad, encoder_plugin("good", "acme/enc@1")], allow=None)


def test_plugin_raising_inside_a_hook_is_isolated(encoder_plugin, plugin_source):
    """A hook that raises drops that plugin's registrations only."""
    body = """
from sen_core import hookimpl
@hookimpl
def sen_blocks(register):
    raise ValueError("oops")
"""
    with pytest.warns(PluginWarning, match="raised while registering: ValueError: oops"):
        cat = load_catalogue(
            [plugin_source("hooky", body), encoder_plugin("good", "acme/enc@1")], allow=None
        )
    assert cat.names() == ["acme/enc@1"]


def test_wrong_spec_kind_for_hook_is_reported(plugin_source):
    """Registering an encoder from sen_blocks names the hook and the expectation."""
    body = """
from sen_core import hookimpl, EncoderSpec, TokenLayout
@hookimpl
def sen_blocks(register):
    register(EncoderSpec(name="acme/e@1", summary="s", factory="a.b:c", modality="text",
                         layout=TokenLayout(kind="sequence")))
"""
    with pytest.warns(
        PluginWarning,
        match="hook sen_blocks registered EncoderSpec 'acme/e@1'; expected a block spec",
    ):
        load_catalogue([plugin_source("wrongkind", body)], allow=None)


def test_allow_list_loads_only_named_plugins(monkeypatch, encoder_plugin):
    """SEN_LOAD_PLUGINS=a loads plugin a only."""
    monkeypatch.setenv("SEN_LOAD_PLUGINS", "alpha")
    cat = load_catalogue([encoder_plugin("alpha", "acme/a@1"), encoder_plugin("beta", "acme/b@1")])
    assert cat.names() == ["acme/a@1"]
    assert [p.name for p in cat.plugins] == ["alpha"]


def test_listing_never_imports_a_factory(encoder_plugin):
    """Specs point at 'nowhere.at_all:build'; listing and get() must not import it."""
    cat = load_catalogue([encoder_plugin("alpha", "acme/a@1")], allow=None)
    assert cat.list("encoders")[0].name == "acme/a@1"
    assert cat.get("acme/a@1").factory == "nowhere.at_all:build"
    assert "nowhere" not in sys.modules


def test_query_by_kind_modality_and_pattern(encoder_plugin):
    """list() filters by kind, modality and wildcard (a bare word is a substring)."""
    cat = load_catalogue(
        [encoder_plugin("a", "acme/vit-small@1"), encoder_plugin("b", "acme/resnet@1")], allow=None
    )
    assert cat.names("encoders") == ["acme/resnet@1", "acme/vit-small@1"]
    assert [s.name for s in cat.list("encoder", "*vit*")] == ["acme/vit-small@1"]
    assert [s.name for s in cat.list(None, "resnet")] == ["acme/resnet@1"]
    assert cat.list("encoders", modality="text") == []
    assert cat.list("blocks") == []


def test_provenance_is_filled_in_by_the_host(encoder_plugin):
    """The host, not the plugin, records plugin, distribution and version."""
    cat = load_catalogue([encoder_plugin("alpha", "acme/a@1", dist="acme-pack")], allow=None)
    p = cat.get("acme/a@1").provenance
    assert (p.plugin, p.distribution, p.version) == ("alpha", "acme-pack", "1.0")


def test_no_warnings_for_a_clean_load(encoder_plugin):
    """A healthy plugin set loads silently."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_catalogue([encoder_plugin("alpha", "acme/a@1")], allow=None)
