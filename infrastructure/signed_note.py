"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys: sign, verify, and the key strings.

A note is its text (non-empty lines, each ending in a newline), a blank line, then one
signature line per key: `— <key name> <base64(key id || signature)>`, where the key id is
the first 4 bytes of SHA-256(key name || 0x0A || 0x01 || public key) and the signature is
Ed25519 over the text. Keys are written as Go's golang.org/x/mod/sumdb/note writes them, so
its tools (and every C2SP verifier) read them:

    verifier key: <name>+<key id, 8 hex digits>+<base64(0x01 || public key)>
    signer key:   PRIVATE+KEY+<name>+<key id>+<base64(0x01 || 32-byte private seed)>

Ed25519 itself is the `cryptography` package's; nothing here is hand-made cryptography.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01  # the signed-note signature type of Ed25519
DASH = "\u2014"  # an em dash starts every signature line


class NoteError(ValueError):
    """A note or a key string that cannot be read (the message says what is wrong)."""


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise NoteError(f"a key name must be non-empty, without spaces or '+': {name!r}")


@dataclass(frozen=True)
class Verifier:
    name: str
    public_key: Ed25519PublicKey

    @property
    def raw(self) -> bytes:
        return self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.raw)

    def __str__(self) -> str:
        return f"{self.name}+{self.id.hex()}+" + base64.b64encode(
            bytes([ED25519]) + self.raw).decode()

    @classmethod
    def parse(cls, text: str) -> Verifier:
        name, hex_id, encoded = _three_parts(text.strip(), "verifier key")
        key = _decode_key(encoded, "verifier key")
        verifier = cls(name, Ed25519PublicKey.from_public_bytes(key))
        if verifier.id.hex() != hex_id.lower():
            raise NoteError(f"verifier key {name}: its id {hex_id} does not match its key")
        return verifier


@dataclass(frozen=True)
class Signer:
    name: str
    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls, name: str) -> Signer:
        _check_name(name)
        return cls(name, Ed25519PrivateKey.generate())

    @cached_property
    def verifier(self) -> Verifier:
        """Derived once (every signed batch names its key id)."""
        return Verifier(self.name, self.private_key.public_key())

    def __str__(self) -> str:
        seed = self.private_key.private_bytes_raw()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.id.hex()}+" + base64.b64encode(
            bytes([ED25519]) + seed).decode()

    @classmethod
    def parse(cls, text: str) -> Signer:
        text = text.strip()
        if not text.startswith("PRIVATE+KEY+"):
            raise NoteError("a signer key starts with PRIVATE+KEY+")
        name, hex_id, encoded = _three_parts(text.removeprefix("PRIVATE+KEY+"), "signer key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(
            _decode_key(encoded, "signer key")))
        if signer.verifier.id.hex() != hex_id.lower():
            raise NoteError(f"signer key {name}: its id {hex_id} does not match its key")
        return signer

    def signature_line(self, text: str) -> str:
        signature = self.private_key.sign(text.encode())
        return f"{DASH} {self.name} " + base64.b64encode(
            self.verifier.id + signature).decode() + "\n"


def _three_parts(text: str, what: str) -> tuple[str, str, str]:
    parts = text.split("+", 2)  # base64 may hold "+" too
    if len(parts) != 3 or len(parts[1]) != 8:
        raise NoteError(f"a {what} is <name>+<8 hex digits>+<base64 key>")
    _check_name(parts[0])
    return parts[0], parts[1], parts[2]


def _decode_key(encoded: str, what: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise NoteError(f"the {what}'s key is not base64") from None
    if len(key) != 33 or key[0] != ED25519:
        raise NoteError(f"the {what} is not an Ed25519 key (type 0x01 and 32 bytes)")
    return key[1:]


def sign(text: str, signers: Iterable[Signer]) -> str:
    if not text.endswith("\n") or "\n\n" in text or text.startswith("\n"):
        raise NoteError("a note's text is non-empty lines, each ending in a newline")
    return text + "\n" + "".join(signer.signature_line(text) for signer in signers)


@dataclass(frozen=True)
class Opened:
    text: str
    signed_by: list[str]  # the verifier keys (as strings) whose signature checked out
    unknown: int  # signature lines by keys not given (ignored, as the spec says)


def open_note(note: str, verifiers: Iterable[Verifier]) -> Opened:
    """The note's text and which of `verifiers` signed it; NoteError if a signature by a
    given key is wrong, or if none of them signed it."""
    text, separator, signatures = note.rpartition("\n\n")
    if not separator or not signatures.endswith("\n"):
        raise NoteError("a note is its text, a blank line, then signature lines")
    text += "\n"
    known = {(v.name, v.id): v for v in verifiers}
    signed_by, unknown = [], 0
    for line in signatures.splitlines():
        dash, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        try:
            blob = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise NoteError(f"a signature line of {name!r} is not base64") from None
        if dash != DASH or len(blob) < 5:
            raise NoteError(f"not a signature line: {line[:60]!r}")
        verifier = known.get((name, blob[:4]))
        if verifier is None:
            unknown += 1
            continue
        try:
            verifier.public_key.verify(blob[4:], text.encode())
        except InvalidSignature:
            raise NoteError(f"the signature of {name} (key {blob[:4].hex()}) is not valid "
                            "for this text: the note was altered or forged") from None
        signed_by.append(str(verifier))
    if not signed_by:
        raise NoteError("no signature by a trusted key (" + ", ".join(
            f"{name}+{kid.hex()}" for name, kid in known) + ")")
    return Opened(text, signed_by, unknown)
