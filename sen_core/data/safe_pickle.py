"""A restricted unpickler for data files (TAP-Vid pickles): NumPy arrays and builtin containers only.

``pickle.load`` runs whatever a file names. ``load_pickle`` resolves only the globals that rebuild
NumPy arrays, NumPy scalars and dtypes (and ``_codecs.encode``, which protocol-2 pickles use for
bytes); dicts, lists, tuples, strings, bytes and numbers need no global. Anything else is refused
with an ``InputError`` naming the file and the class, before it is imported or called.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from sen_core.errors import InputError

__all__ = ["ALLOWED_GLOBALS", "load_pickle"]

ALLOWED_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
    }
)


class _Refused(Exception):
    def __init__(self, module: str, name: str) -> None:
        super().__init__(f"{module}.{name}")
        self.qualname = f"{module}.{name}"


class _Restricted(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in ALLOWED_GLOBALS or (
            module == "numpy.dtypes" and name.endswith("DType")
        ):
            return super().find_class(module, name)
        raise _Refused(module, name)


def load_pickle(path: str | Path) -> Any:
    """The object in ``path``, rebuilt only from NumPy arrays, dtypes and builtin containers.

    Args:
        path: the pickle file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"file not found: {path}")
    try:
        with path.open("rb") as f:
            return _Restricted(f).load()
    except _Refused as exc:
        raise InputError(
            f"{path}: refused to unpickle '{exc.qualname}' (a data pickle may hold only NumPy "
            "arrays, dtypes and builtin containers)"
        ) from None
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        KeyError,
        IndexError,
        OverflowError,
        RecursionError,
        MemoryError,
    ) as exc:
        raise InputError(f"{path}: not a readable pickle ({exc})") from None
