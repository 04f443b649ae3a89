"""The customers' data keys and search tokens, in two tables beside the event log (never in
it, so they can be destroyed): each data key wrapped (AES-256-GCM) by the master key, which is
never in the database; personal fields sealed with AES-256-GCM under the owner's data key.

Search tokens are blind indexes: an HMAC-SHA256 of a normalised value (an email, a phone
number's digits, one word of a name) under a key derived from the master key, so the
database can be searched for an exact value without holding it. A wrong master key is found
at start-up: the database keeps an HMAC of a fixed text under it (its fingerprint, which
reveals nothing of the key) and `PersonalVault` refuses a key whose fingerprint differs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from infrastructure.database_roles import qualified, set_up_by_another_role
from infrastructure.master_key import KEY_HINT, NoMasterKey

KEYS = "customer_keys"
TOKENS = "customer_tokens"
CHECK = "master_key_check"
SEALED_PREFIX = "aesgcm1:"
NONCE_BYTES = 12


def _derived(master: bytes, purpose: str) -> bytes:
    return hmac.new(master, f"civicdesk {purpose}".encode(), hashlib.sha256).digest()


class PersonalVault:
    """`application.personal_data.PersonalCipher` on the desk's own database."""

    def __init__(self, datastore: Any, master: bytes, *, clock: Any = None,
                 create: bool = True) -> None:
        """`create=False` (the reading commands) sets nothing up and writes nothing."""
        self.datastore = datastore
        self.postgres = hasattr(datastore, "schema")
        self.mark = "%s" if self.postgres else "?"
        self.prefix = f'"{datastore.schema}".' if self.postgres else ""
        self.wrapping = AESGCM(_derived(master, "key wrapping"))
        self.token_key = _derived(master, "blind index")
        self.fingerprint = _derived(master, "master key check").hex()
        self.clock = clock or (lambda: datetime.now(UTC))
        if create:
            self._create()
        self._check_fingerprint(record=create)

    # -- tables ------------------------------------------------------------------------------

    def _create(self) -> None:
        blob = "bytea" if self.postgres else "BLOB"
        uuid = "uuid" if self.postgres else "TEXT"
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.prefix}{KEYS} (owner {uuid} PRIMARY KEY, "
            f"wrapped {blob}, created_at TEXT NOT NULL, destroyed_at TEXT)",
            f"CREATE TABLE IF NOT EXISTS {self.prefix}{TOKENS} (token TEXT NOT NULL, "
            f"owner {uuid} NOT NULL, PRIMARY KEY (token, owner))",
            f"CREATE INDEX IF NOT EXISTS {TOKENS}_by_owner ON {self.prefix}{TOKENS} (owner)",
            f"CREATE TABLE IF NOT EXISTS {self.prefix}{CHECK} (id INTEGER PRIMARY KEY, "
            "fingerprint TEXT NOT NULL)",
        ]
        with self.datastore.transaction(commit=True) as cursor:
            if self.postgres and set_up_by_another_role(
                    cursor, qualified(self.datastore.schema, KEYS)):
                return  # the owner made them (`civicdesk migrate`); this role only uses them
            for statement in statements:
                cursor.execute(statement)

    def _check_fingerprint(self, *, record: bool) -> None:
        m = self.mark
        try:
            with self.datastore.transaction(commit=record) as cursor:
                cursor.execute(f"SELECT fingerprint FROM {self.prefix}{CHECK} WHERE id = 1")
                row = cursor.fetchone()
                if row is None and record:
                    cursor.execute(f"INSERT INTO {self.prefix}{CHECK} (id, fingerprint) "
                                   f"VALUES (1, {m})", [self.fingerprint])
                    return
        except Exception:
            if record:
                raise
            return  # never set up: nothing was ever sealed here, so nothing to check against
        if row is None:
            return
        if not hmac.compare_digest(row["fingerprint"], self.fingerprint):
            raise NoMasterKey("the master key is not the one this database's personal "
                              "information was sealed with (wrong key, or another "
                              f"installation's): {KEY_HINT}")

    def _id(self, owner: UUID) -> Any:
        return owner if self.postgres else str(owner)

    # -- keys --------------------------------------------------------------------------------

    def new_key(self, owner: UUID) -> None:
        nonce = secrets.token_bytes(NONCE_BYTES)
        wrapped = nonce + self.wrapping.encrypt(nonce, AESGCM.generate_key(256), owner.bytes)
        m = self.mark
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"INSERT INTO {self.prefix}{KEYS} (owner, wrapped, created_at) "
                           f"VALUES ({m}, {m}, {m})",
                           [self._id(owner), wrapped, self.clock().isoformat()])

    def _key(self, owner: UUID) -> bytes | None:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT wrapped FROM {self.prefix}{KEYS} WHERE owner = {self.mark}",
                           [self._id(owner)])
            row = cursor.fetchone()
        if row is None or row["wrapped"] is None:
            return None
        wrapped = bytes(row["wrapped"])
        try:
            return self.wrapping.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:],
                                         owner.bytes)
        except InvalidTag:
            raise NoMasterKey(f"the data key of {owner} does not open with this master key: "
                              f"{KEY_HINT}") from None

    def seal(self, owner: UUID, fields: Mapping[str, str]) -> str:
        key = self._key(owner)
        if key is None:
            raise LookupError(f"no data key for {owner}")
        nonce = secrets.token_bytes(NONCE_BYTES)
        plain = json.dumps(dict(fields), sort_keys=True).encode()
        sealed = nonce + AESGCM(key).encrypt(nonce, plain, owner.bytes)
        return SEALED_PREFIX + base64.b64encode(sealed).decode()

    def open(self, owner: UUID, sealed: str) -> dict[str, str] | None:
        key = self._key(owner)
        if key is None:
            return None
        raw = base64.b64decode(sealed.removeprefix(SEALED_PREFIX))
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], owner.bytes)
        fields: dict[str, str] = json.loads(plain)
        return fields

    def seal_bytes(self, owner: UUID, data: bytes) -> bytes:
        key = self._key(owner)
        if key is None:
            raise LookupError(f"no data key for {owner}")
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + AESGCM(key).encrypt(nonce, data, owner.bytes)

    def open_bytes(self, owner: UUID, sealed: bytes) -> bytes | None:
        key = self._key(owner)
        if key is None:
            return None
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], owner.bytes)

    def destroy(self, owner: UUID) -> None:
        m = self.mark
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"UPDATE {self.prefix}{KEYS} SET wrapped = NULL, destroyed_at = {m} "
                           f"WHERE owner = {m}", [self.clock().isoformat(), self._id(owner)])
            cursor.execute(f"DELETE FROM {self.prefix}{TOKENS} WHERE owner = {m}",
                           [self._id(owner)])

    # -- blind indexes -----------------------------------------------------------------------

    def _blind(self, token: str) -> str:
        return hmac.new(self.token_key, token.encode(), hashlib.sha256).hexdigest()[:32]

    def index(self, owner: UUID, tokens: Iterable[str]) -> None:
        m = self.mark
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"DELETE FROM {self.prefix}{TOKENS} WHERE owner = {m}",
                           [self._id(owner)])
            rows = [(self._blind(t), self._id(owner)) for t in sorted(set(tokens))]
            if rows:
                cursor.executemany(f"INSERT INTO {self.prefix}{TOKENS} (token, owner) VALUES "
                                   f"({m}, {m})", rows)

    def lookup(self, tokens: Iterable[str]) -> set[UUID]:
        blinds = sorted({self._blind(t) for t in tokens})
        if not blinds:
            return set()
        marks = ", ".join([self.mark] * len(blinds))
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT owner FROM {self.prefix}{TOKENS} WHERE token IN ({marks}) "
                           f"GROUP BY owner HAVING COUNT(*) = {len(blinds)}", blinds)
            rows = cursor.fetchall()
        return {r["owner"] if isinstance(r["owner"], UUID) else UUID(r["owner"]) for r in rows}
