"""A quiet CLI command leaves the progress bars of libraries it imported as the user had them."""

from __future__ import annotations

import subprocess
import sys

CODE = r"""
import sys
from click.testing import CliRunner
from sen_core.cli import cli

assert "transformers.utils.logging" not in sys.modules
res = CliRunner().invoke(cli, ["build", sys.argv[1]])
assert res.exit_code == 0, res.output
assert "transformers.utils.logging" in sys.modules  # imported during the quiet command
from huggingface_hub import utils as hub
from transformers.utils import logging as tlog
print(tlog.is_progress_bar_enabled(), hub.are_progress_bars_disabled())
"""

# Both neurons from transformers: a timm anchor would import timm (torchvision, torch._dynamo: ~1 s)
# in the child for nothing this test checks.
CONFIG = """\
name: text
model:
  neurons:
    - name: transformers/vit@1
      key: vit
      input: frames
      params: {image_size: 32, tokens_per_frame: cls, config: {patch_size: 16, num_hidden_layers: 1, hidden_size: 32, num_attention_heads: 2, intermediate_size: 64}}
    - name: transformers/bert@1
      key: text
      input: caption
      params: {config: {num_hidden_layers: 1, hidden_size: 32, num_attention_heads: 2, intermediate_size: 64}}
  anchor: vit
  depth: 0
  width: 32
  attn_heads: 2
  token_budget: 8
  heads: []
"""


def test_bars_of_libraries_imported_during_a_quiet_command_stay_enabled(tmp_path):
    """HF_HUB_DISABLE_PROGRESS_BARS is set only while the command runs; a library first imported
    then (it reads the variable at import) gets its bars back afterwards."""
    cfg = tmp_path / "text.yaml"
    cfg.write_text(CONFIG)
    env = {k: v for k, v in __import__("os").environ.items() if k != "HF_HUB_DISABLE_PROGRESS_BARS"}
    out = subprocess.run(
        [sys.executable, "-c", CODE, str(cfg)], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "False"]
