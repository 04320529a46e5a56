"""The sen_data plugin: both datasets are in the catalogue, built through their factories, cheaply listed."""

from __future__ import annotations

import subprocess
import sys

from sen_core.catalogue import get_catalogue


def test_datasets_are_registered_by_the_data_plugin():
    """sen/shapes@1 and sen/video-folder@1 are dataset specs from plugin 'data' with every task."""
    cat = get_catalogue()
    for name in ("sen/shapes@1", "sen/video-folder@1"):
        spec = cat.get(name, kind="dataset")
        assert spec.provenance.plugin == "data"
        assert spec.tasks == ("classification", "retrieval", "qa", "moments", "tracking")
    assert cat.get("sen/shapes@1").factory == "sen_data.shapes:shapes_dataset"


def test_factory_builds_a_dataset_with_the_contract_attributes(make_dataset):
    """factory(spec, split, **params) returns a Dataset with class_names, fps and collate."""
    ds = make_dataset("sen/shapes@1", split="test", num_samples=4, frames=4, image_size=16)
    assert ds.split == "test" and len(ds) == 4 and ds.fps == 8.0
    assert len(ds.class_names) == 12 and callable(ds.collate)


def test_plugin_module_imports_no_heavy_library():
    """Importing sen_data.plugin (what listing does) loads neither torch nor numpy nor av."""
    code = (
        "import sys, sen_data.plugin; "
        "print(sorted(m for m in ('torch', 'numpy', 'av') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
