"""Lazy package re-exports (PEP 562): ``from corpussieve.dedup import minhash_signatures`` keeps working, but
importing a package no longer imports every module in it. A Spark worker that unpickles one stage's function
imports that stage's modules and nothing else (measured in ``tests/foundation/test_imports.py``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` that import ``exports[name]`` (a module path) on first use.

    ``exports`` maps each public name to the module defining it; a name may be exported under another name
    with ``"module:attribute"``.
    """
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = target.partition(":")
        value = getattr(importlib.import_module(module), attribute or name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
