"""Where a key comes from: an environment variable, else a file it names, else (development
mode only) a file in the data directory made on first use; never the database. Shared by the
checkpoint signer key and the personal-data master key."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def configured_key(value: str | None, file: Path | None, variable: str,
                   refused: type[Exception], what: str) -> tuple[str | None, str]:
    """The key's text and where it came from (the variable, or the file's path); None when
    neither is set. `refused(message)` is raised when the file cannot be read."""
    if value is not None:
        return value, variable
    if file is None:
        return None, variable
    try:
        return file.read_text(), str(file)
    except OSError as error:
        raise refused(f"cannot read {what} {file}: {error.strerror}") from None


def development_key(path: Path, make: Callable[[], str]) -> str:
    """The development key kept at `path`, made by `make` the first time: created readable by
    its owner only, and never overwritten (O_EXCL), so two processes starting at once cannot
    end up with different keys written over each other."""
    if path.exists():
        return path.read_text()
    text = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(f"{text}\n")
    return text
