"""Every dependency is locked to one version and its hashes, the locks agree with pyproject.toml
and with each other, and `make install` and the Docker image install from them: a report
rendered next year on a new machine uses exactly the libraries tested today."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)(?: ; (.+?))?(?: \\)?$")


def pins(lock: str) -> dict[str, list[tuple[str, Marker | None]]]:
    """Each locked package's versions, with the marker each applies under (a universal lock may
    pin another version for another Python)."""
    found: dict[str, list[tuple[str, Marker | None]]] = {}
    for line in (ROOT / lock).read_text().splitlines():
        match = PIN.match(line)
        if match:
            name, pinned, marker = match.groups()
            found.setdefault(canonicalize_name(name), []).append(
                (pinned, Marker(marker) if marker else None))
    return found


def applicable(lock: str) -> dict[str, str]:
    """The version of each package the lock installs here."""
    return {name: pinned for name, versions in pins(lock).items()
            for pinned, marker in versions if marker is None or marker.evaluate()}


def declared(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return [Requirement(text) for text in listed]


@pytest.mark.parametrize(("lock", "extra"), [("requirements.lock", None),
                                             ("requirements-test.lock", None),
                                             ("requirements-test.lock", "test")])
def test_every_declared_dependency_is_pinned_within_its_range(
        lock: str, extra: str | None) -> None:
    locked = applicable(lock)
    for requirement in declared(extra):
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is not in {lock}: run make lock"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"{lock} pins {name}=={locked[name]}, outside {requirement}: run make lock")


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-test.lock"])
def test_every_pin_carries_its_hashes(lock: str) -> None:
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text())
    pinned = [block for block in blocks if PIN.match(block.splitlines()[0])]
    assert pinned
    assert [block.splitlines()[0] for block in pinned if "--hash=sha256:" not in block] == []


def test_the_test_lock_runs_the_same_versions_as_the_runtime_lock() -> None:
    runtime, test = pins("requirements.lock"), pins("requirements-test.lock")
    assert {name: test.get(name) for name in runtime} == runtime


def test_this_environment_has_exactly_the_locked_versions() -> None:
    # `make install` installs the test lock; a stale environment is reinstalled when it changes
    wrong = {}
    for name, pinned in applicable("requirements-test.lock").items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = "missing"
        if installed != pinned:
            wrong[name] = (installed, pinned)
    assert wrong == {}, "installed, locked; run make install"


def test_make_install_installs_from_the_lock_and_again_when_it_changes() -> None:
    makefile = (ROOT / "Makefile").read_text()
    stamp_rule = re.search(r"^\$\(STAMP\): (.*)$", makefile, re.MULTILINE)
    assert stamp_rule and "$(TEST_LOCK)" in stamp_rule.group(1).split()
    assert "TEST_LOCK = requirements-test.lock" in makefile
    assert "pip install --quiet --require-hashes -r $(TEST_LOCK)" in makefile
    assert "pip install --quiet --no-deps -e ." in makefile


def test_the_docker_image_installs_the_runtime_lock_then_civicdesk_alone() -> None:
    steps = [line for line in (ROOT / "Dockerfile").read_text().splitlines()
             if line.startswith("RUN pip install")]
    assert steps == ["RUN pip install --require-hashes -r /tmp/civicdesk/requirements.lock",
                     "RUN pip install --no-deps /tmp/civicdesk && rm -rf /tmp/civicdesk"]
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "requirements.lock" not in ignored
