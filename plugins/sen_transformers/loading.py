"""Build a Hugging Face model for a ``transformers/*`` neuron: from a local directory or a config.

``path=`` is a directory written by ``save_pretrained`` (loaded with ``local_files_only=True``,
never remote code); ``config={...}`` overrides a small default config and gives random weights.
``checkpoint=`` then loads a local state-dict file on top. Mismatches raise CheckpointError by key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sen_core.errors import CheckpointError, ConfigError
from sen_core.neuron import load_into, load_state_dict_file

if TYPE_CHECKING:
    from transformers import PreTrainedModel

__all__ = ["load_model", "read_image_norm"]

_SHOW = 5


def _keys(what: str, keys: list[Any]) -> str:
    shown = ", ".join(str(k) for k in keys[:_SHOW])
    more = f", ... ({len(keys) - _SHOW} more)" if len(keys) > _SHOW else ""
    return f"{len(keys)} {what} ({shown}{more})"


def _from_dir(
    model_cls: type[PreTrainedModel], path: str, *, name: str, kwargs: dict[str, Any]
) -> PreTrainedModel:
    p = Path(path).expanduser()
    if not p.is_dir() or not (p / "config.json").is_file():
        raise ConfigError(
            f"{name}: path='{path}' must be a local directory written by save_pretrained "
            "(with a config.json)"
        )
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # we report mismatches ourselves, as one CheckpointError
    try:
        # output_loading_info=True makes it (model, info); the annotations know only the model
        loaded: Any = model_cls.from_pretrained(
            str(p),
            local_files_only=True,
            trust_remote_code=False,
            output_loading_info=True,
            ignore_mismatched_sizes=True,
            **kwargs,
        )
        model, info = loaded
    except (OSError, ValueError) as exc:  # no weights file, corrupt file, wrong config type
        raise CheckpointError(
            f"{name}: could not load '{path}': {str(exc).splitlines()[0]}"
        ) from exc
    finally:
        hf_logging.set_verbosity(level)
    # Unexpected keys are normal (a task head saved with the encoder); missing or mis-shaped are not.
    problems = []
    if info.get("missing_keys"):
        problems.append(_keys("missing keys", sorted(info["missing_keys"])))
    if info.get("mismatched_keys"):
        problems.append(
            _keys(
                "mis-shaped keys",
                [
                    f"{k}: checkpoint {list(a)} vs model {list(b)}"
                    for k, a, b in sorted(info["mismatched_keys"])
                ],
            )
        )
    if problems:
        raise CheckpointError(
            f"{name}: weights in '{path}' do not match its {model_cls.__name__}: "
            + "; ".join(problems)
        )
    return model


def load_model(
    model_cls: type[PreTrainedModel],
    config_cls: type,
    *,
    defaults: dict[str, Any],
    path: str | None,
    config: dict[str, Any] | None,
    checkpoint: str | None,
    name: str,
    model_kwargs: dict[str, Any] | None = None,
) -> PreTrainedModel:
    """``model_cls`` from ``path`` (a save_pretrained dir) or from ``defaults`` updated by ``config``."""
    kwargs = dict(model_kwargs or {})
    if path is not None and config:
        raise ConfigError(
            f"{name}: give either path= (a saved model) or config= (random weights), not both"
        )
    if path is not None:
        model = _from_dir(model_cls, str(path), name=name, kwargs=kwargs)
    else:
        if config is not None and not isinstance(config, dict):
            raise ConfigError(
                f"{name}: config must be a mapping of {config_cls.__name__} fields, "
                f"got {type(config).__name__}"
            )
        known = set(config_cls().to_dict())
        unknown = sorted(set(config or {}) - known)
        if unknown:  # HF configs would silently keep a typo as an unused attribute
            from sen_core.errors import suggest

            hints = {k: suggest(k, known, n=1) for k in unknown}
            raise ConfigError(
                f"{name}: unknown {config_cls.__name__} fields: "
                + ", ".join(
                    f"{k}" + (f" (did you mean {hints[k][0]}?)" if hints[k] else "")
                    for k in unknown
                )
            )
        fields = {**defaults, **(config or {})}
        try:
            cfg = config_cls(**fields)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{name}: invalid config for {config_cls.__name__}: {exc}") from exc
        model = model_cls(cfg, **kwargs)
    if checkpoint:
        load_into(
            model, load_state_dict_file(checkpoint), name=f"{name}: checkpoint '{checkpoint}'"
        )
    return model.eval()


def read_image_norm(
    path: str | None, default_mean: tuple[float, ...], default_std: tuple[float, ...]
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Mean/std from a saved ``preprocessor_config.json`` when there is one, else the family default."""
    if path is None:
        return default_mean, default_std
    f = Path(path).expanduser() / "preprocessor_config.json"
    if not f.is_file():
        return default_mean, default_std
    try:
        cfg = json.loads(f.read_bytes().decode("utf-8"))
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON
        raise ConfigError(f"cannot read {f}: {exc}") from None
    if not isinstance(cfg, dict):
        raise ConfigError(f"{f} must hold a JSON object (image_mean, image_std)")
    return tuple(cfg.get("image_mean", default_mean)), tuple(cfg.get("image_std", default_std))
