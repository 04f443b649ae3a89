"""Every read model of the desk, by name: the `ProjectionSpec`s the modules of `projections`
define at their top level. A new read model is a new module; nothing else lists it."""

from __future__ import annotations

import importlib
import pkgutil

import projections
from engine import ProjectionSpec


def all_specs() -> dict[str, ProjectionSpec]:
    """Every read model, by name, in module order."""
    found: dict[str, ProjectionSpec] = {}
    for module_info in sorted(pkgutil.iter_modules(projections.__path__),
                              key=lambda m: m.name):
        module = importlib.import_module(f"projections.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, ProjectionSpec):
                found.setdefault(value.name, value)
    return found


def specs_named(names: list[str]) -> list[ProjectionSpec]:
    """The named read models (all of them for no names). Raises KeyError naming an unknown
    one, with the known names."""
    known = all_specs()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise KeyError(f"no projection {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[name] for name in names] if names else list(known.values())
