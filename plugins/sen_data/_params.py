"""Dataset parameter validation shared by the ``sen_data`` factories (pydantic -> ConfigError)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from sen_core.errors import ConfigError
from sen_core.specs import DatasetSpec


def parse_params(spec: DatasetSpec, params: dict[str, Any], model: type[BaseModel]) -> Any:
    """Validate ``params`` against ``model``; every problem is reported at once as a ConfigError."""
    try:
        return model(**params)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            loc = ".".join(str(x) for x in e["loc"])
            msg = "unknown parameter" if e["type"] == "extra_forbidden" else e["msg"]
            problems.append(f"params.{loc}: {msg}")
        allowed = ", ".join(model.model_fields)
        raise ConfigError(
            f"dataset '{spec.name}': invalid params (it takes: {allowed})", problems
        ) from None
