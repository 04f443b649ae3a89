"""Signed notes and checkpoints against the reference example of Go's golang.org/x/mod/sumdb/note
(the implementation every C2SP log and witness shares): same key ids, same bytes."""

from __future__ import annotations

import pytest

from infrastructure.checkpoints import Checkpoint, parse_checkpoint
from infrastructure.signed_note import NoteError, Signer, Verifier, open_note, sign

VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
TEXT = ("If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n")
NOTE = (TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2"
        "pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")


def test_signing_the_reference_text_gives_the_reference_note() -> None:
    signer = Signer.parse(SIGNER_KEY)
    assert str(signer) == SIGNER_KEY and str(signer.verifier) == VERIFIER_KEY
    assert sign(TEXT, [signer]) == NOTE


def test_the_reference_note_opens_with_the_reference_key() -> None:
    opened = open_note(NOTE, [Verifier.parse(VERIFIER_KEY)])
    assert opened.text == TEXT and opened.signed_by == [VERIFIER_KEY]


def test_an_altered_note_is_refused() -> None:
    with pytest.raises(NoteError, match="not valid"):
        open_note(NOTE.replace("cryptography", "cryptographY"), [Verifier.parse(VERIFIER_KEY)])


def test_a_note_signed_only_by_an_unknown_key_is_refused() -> None:
    other = Signer.generate("PeterNeumann")  # the same name, another key (another id)
    with pytest.raises(NoteError, match="no signature by a trusted key"):
        open_note(NOTE, [other.verifier])


def test_a_rotated_key_and_the_old_one_both_verify_their_notes() -> None:
    old, new = Signer.generate("town.example/log"), Signer.generate("town.example/log")
    keys = [old.verifier, new.verifier]
    assert open_note(sign("a\n", [old]), keys).signed_by == [str(old.verifier)]
    assert open_note(sign("b\n", [new]), keys).signed_by == [str(new.verifier)]


def test_a_mangled_key_is_refused() -> None:
    for broken in (VERIFIER_KEY.replace("c74f20a3", "c74f20a4"), VERIFIER_KEY[:-4],
                   "PeterNeumann+c74f20a3", SIGNER_KEY.replace("PRIVATE+KEY+", "")):
        with pytest.raises(NoteError):
            (Signer if "PRIVATE" in broken else Verifier).parse(broken)


def test_a_checkpoint_reads_back_as_written() -> None:
    checkpoint = Checkpoint("town.example/log", 20852163, bytes(range(32)))
    assert checkpoint.text() == ("town.example/log\n20852163\n"
                                 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n")
    assert parse_checkpoint(checkpoint.text()) == checkpoint
    for broken in ("town\n012\nAAAA\n", "town\n12\nAAAA\n", "town\n12\n"):
        with pytest.raises(NoteError):
            parse_checkpoint(broken)
