"""How the application keeps personal information erasable: each customer's personal fields
are sealed (encrypted) with a data key of their own, held outside the event log, so events and
the hash chain carry only ciphertext and destroying the key erases the person.

The desk sees the keys only through `PersonalCipher` (infrastructure.personal_vault is the one
implementation); `LockedCipher` stands in when no master key is configured and refuses every
use, so nothing personal is ever written or read in clear."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol
from uuid import UUID

from domain.errors import DomainError


class PersonalDataLocked(DomainError):
    """No master key is configured, so personal information can be neither sealed nor read."""

    code = "personal-data-locked"


class PersonalCipher(Protocol):
    def new_key(self, owner: UUID) -> None:
        """Make and keep (wrapped by the master key) a data key for `owner`."""
        ...

    def seal(self, owner: UUID, fields: Mapping[str, str]) -> str:
        """`fields` encrypted with `owner`'s data key, as text an event can carry."""
        ...

    def open(self, owner: UUID, sealed: str) -> dict[str, str] | None:
        """The fields `sealed` holds; None when `owner`'s key was destroyed (erased)."""
        ...

    def seal_bytes(self, owner: UUID, data: bytes) -> bytes:
        """`data` (a file) encrypted with `owner`'s data key."""
        ...

    def open_bytes(self, owner: UUID, sealed: bytes) -> bytes | None:
        """The file `sealed` holds; None when `owner`'s key was destroyed (erased)."""
        ...

    def destroy(self, owner: UUID) -> None:
        """Destroy `owner`'s data key (and their search tokens): what was sealed with it can
        never be read again."""
        ...

    def index(self, owner: UUID, tokens: Iterable[str]) -> None:
        """Replace `owner`'s search tokens (see `lookup`) by the blind indexes of `tokens`."""
        ...

    def lookup(self, tokens: Iterable[str]) -> set[UUID]:
        """The owners indexed under every one of `tokens` (none for no tokens)."""
        ...


class LockedCipher:
    """Without a master key: every use is refused (there is no plaintext fallback)."""

    def _refuse(self) -> PersonalDataLocked:
        return PersonalDataLocked("personal information is unavailable: no master key is "
                                  "configured (CIVICDESK_MASTER_KEY_FILE)")

    def new_key(self, owner: UUID) -> None:
        raise self._refuse()

    def seal(self, owner: UUID, fields: Mapping[str, str]) -> str:
        raise self._refuse()

    def open(self, owner: UUID, sealed: str) -> dict[str, str] | None:
        raise self._refuse()

    def seal_bytes(self, owner: UUID, data: bytes) -> bytes:
        raise self._refuse()

    def open_bytes(self, owner: UUID, sealed: bytes) -> bytes | None:
        raise self._refuse()

    def destroy(self, owner: UUID) -> None:
        raise self._refuse()

    def index(self, owner: UUID, tokens: Iterable[str]) -> None:
        raise self._refuse()

    def lookup(self, tokens: Iterable[str]) -> set[UUID]:
        raise self._refuse()
