"""Deferred imports of heavy modules, so ``import gausstest`` (and so the CLI's
``--help`` and ``tests``) stays about as fast as ``import numpy``.

``stats = lazy_module("scipy.stats")`` binds a stand-in whose first attribute access
imports the real module (about 0.4 s for scipy.stats, 0.3 s for statsmodels' diagnostic
tests); later accesses go straight to it.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["lazy_module"]


class _LazyModule:
    __slots__ = ("_name", "_module")

    def __init__(self, name: str):
        self._name = name
        self._module: ModuleType | None = None

    def _load(self) -> ModuleType:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return self._module

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not yet imported"
        return f"<lazy module {self._name!r} ({state})>"


def lazy_module(name: str) -> Any:
    """A stand-in for ``importlib.import_module(name)`` that imports on first use."""
    return _LazyModule(name)
