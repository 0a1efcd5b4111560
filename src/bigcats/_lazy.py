"""Packages whose public names are imported on first use (PEP 562).

`bigcats --help` must start at once, and every CLI module imports some package's light `errors` module; Python runs
the package's `__init__` first, so an `__init__` that imported its submodules eagerly loaded pandas, SciPy and
GeoPandas for every command. A package calls `lazy_exports(__name__, {name: submodule})` instead: `from
bigcats.analysis import overlap` still gives the function, imported when first asked for.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


class _LazyPackage(types.ModuleType):
    """A package module that resolves its exported names on first access.

    Where an exported function has the name of its own submodule (`bigcats.analysis.overlap.overlap`), the import
    system sets the package attribute to the submodule once it is loaded; that attribute is kept as the function,
    as an eager `from .overlap import overlap` in `__init__` did.
    """

    def __getattr__(self, name: str) -> Any:
        where = self.__dict__.get("_lazy_where", {})
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        self.__dict__[name] = value
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        where = self.__dict__.get("_lazy_where", {})
        if isinstance(value, types.ModuleType) and where.get(name) == value.__name__:
            value = getattr(value, name)
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.__dict__.get("_lazy_where", {})))


def lazy_exports(package: str, where: dict[str, str]) -> None:
    """Make `package` resolve each name in `where` (name -> submodule) when it is first used."""
    module = sys.modules[package]
    module.__dict__["_lazy_where"] = dict(where)
    module.__class__ = _LazyPackage
