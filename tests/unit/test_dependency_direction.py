"""Dependencies point inward: the domain does no I/O and the application knows no adapters."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_MAY_IMPORT = {"eventsourcing.domain", "holidays", "domain"}
OUTER_LAYERS = {"api", "infrastructure", "projections", "litestar", "msgspec", "psycopg",
                "apscheduler", "sqlite3", "uvicorn"}


def imports_of(package: str) -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        name = path.relative_to(ROOT / package).as_posix()  # a package's __init__.py by its path
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found += [(name, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((name, node.module))
    return found


def is_stdlib(module: str) -> bool:
    import sys

    return module.split(".")[0] in sys.stdlib_module_names


@pytest.mark.parametrize(("module", "imported"), imports_of("domain"))
def test_the_domain_imports_only_the_standard_library_eventsourcing_domain_and_holidays(
        module: str, imported: str) -> None:
    allowed = is_stdlib(imported) or any(
        imported == name or imported.startswith(name + ".") for name in DOMAIN_MAY_IMPORT)
    forbidden_io = imported.split(".")[0] in {"sqlite3", "socket", "http", "urllib", "io",
                                              "os", "subprocess", "shutil", "pathlib"}
    assert allowed and not forbidden_io, f"domain/{module} imports {imported}"


@pytest.mark.parametrize(("module", "imported"), imports_of("application"))
def test_the_application_does_not_import_adapters(module: str, imported: str) -> None:
    assert imported.split(".")[0] not in OUTER_LAYERS, f"application/{module} imports {imported}"


ENGINE_RUNNING_PARTS = {"engine.runner", "engine.rebuild", "engine.follower", "engine.upgrades",
                        "engine.readiness"}


@pytest.mark.parametrize(("module", "imported"), imports_of("projections"))
def test_read_models_import_neither_infrastructure_nor_the_engine_running_them(
        module: str, imported: str) -> None:
    assert imported.split(".")[0] not in {"infrastructure", "api"} \
        and imported not in ENGINE_RUNNING_PARTS, f"projections/{module} imports {imported}"


@pytest.mark.parametrize(("module", "imported"), [
    (module, imported) for module, imported in imports_of("engine")
    if f"engine.{module.removesuffix('.py')}" not in ENGINE_RUNNING_PARTS])
def test_the_engine_interface_imports_no_infrastructure_and_no_read_model(
        module: str, imported: str) -> None:
    assert imported.split(".")[0] not in {"infrastructure", "api", "projections"}, \
        f"engine/{module} imports {imported}"
