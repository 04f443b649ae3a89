"""The auditors' proof routes (inclusion of an event, consistency of two tree sizes, checked with
the RFC's verification against a signed checkpoint) and the hash-only event stream."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from infrastructure import merkle
from infrastructure.audit_export import HASH_FIELDS
from infrastructure.checkpoints import parse_checkpoint, sign_checkpoint
from infrastructure.signed_note import open_note
from tests.api.test_audit_api import lived_case
from tests.command_line import TEST_CHECKPOINT_SIGNER

PROOFS = "/api/v1/audit/proofs"
# The installation's own key (the tests' settings carry it), so every checkpoint signed here
# is one `GET /audit/verify` trusts.
SIGNER = TEST_CHECKPOINT_SIGNER


def signed(api: Any, tmp_path: Path) -> tuple[int, bytes]:
    """A checkpoint signed over the log now: its size and root."""
    note = sign_checkpoint(api.desk, SIGNER, tmp_path, force=True).note
    assert note is not None
    checkpoint = parse_checkpoint(open_note(note, [SIGNER.verifier]).text)
    return checkpoint.size, checkpoint.root


def decoded(hashes: list[str]) -> list[bytes]:
    return [base64.b64decode(h) for h in hashes]


@pytest.mark.parametrize("role", ["csr", "staff", "manager", "director", "clerk"])
def test_only_auditors_and_administrators_get_proofs(api: Any, role: str) -> None:
    for route in (f"{PROOFS}/inclusion?position=1", f"{PROOFS}/consistency?from=1"):
        api.problem(api.client.get(route, headers=api.headers(role)), 403, "forbidden")


def test_an_event_is_proved_in_the_latest_checkpoint(api: Any, tmp_path: Path) -> None:
    # given a lived case and a checkpoint signed over the log
    lived_case(api)
    position, _ = api.ledger()
    size, root = signed(api, tmp_path)
    # when an auditor asks for the proof of the case's last event
    response = api.client.get(f"{PROOFS}/inclusion", params={"position": position},
                              headers=api.headers("auditor"))
    # then it proves the event's leaf is in that checkpoint's tree
    assert response.status_code == 200, response.text
    proof = response.json()
    leaf = base64.b64decode(proof["leaf"])
    assert proof["tree_size"] == size and int.from_bytes(leaf[1:9], "big") == position
    assert merkle.verify_inclusion(proof["leaf_index"], size, merkle.leaf_hash(leaf),
                                   decoded(proof["hashes"]), root)
    assert proof["tlog_proof"].startswith("c2sp.org/tlog-proof@v1\n")
    assert proof["tlog_proof"].endswith(proof["checkpoint"])


def test_two_tree_sizes_are_proved_consistent(api: Any, tmp_path: Path) -> None:
    lived_case(api)
    first, first_root = signed(api, tmp_path)
    lived_case(api)
    second, second_root = signed(api, tmp_path)
    response = api.client.get(f"{PROOFS}/consistency", params={"from": first, "to": second},
                              headers=api.headers("auditor"))
    assert response.status_code == 200, response.text
    proof = response.json()
    assert (proof["from"], proof["to"]) == (first, second)
    assert proof["from_checkpoint"] is not None and proof["to_checkpoint"] is not None
    assert merkle.verify_consistency(first, second, decoded(proof["hashes"]), first_root,
                                     second_root)


@pytest.mark.parametrize(("query", "status"), [
    ("inclusion?position=0", 400), ("inclusion?position=x", 400),
    ("inclusion?position=1&tree_size=0", 400), ("inclusion", 400),
    ("inclusion?position=1&tree_size=9223372036854775807", 404),
    ("inclusion?position=9223372036854775807", 404),
    ("consistency?from=3&to=2", 422), ("consistency?from=0", 400),
    ("consistency?from=1&to=9223372036854775807", 404),
])
def test_a_proof_that_cannot_be_given_is_a_problem_saying_why(
        api: Any, tmp_path: Path, query: str, status: int) -> None:
    lived_case(api)
    signed(api, tmp_path)
    response = api.client.get(f"{PROOFS}/{query}", headers=api.headers("auditor"))
    api.problem(response, status)


def test_the_event_stream_of_hashes_carries_nothing_personal_and_logs_no_access(
        api: Any) -> None:
    # given a lived case, when an auditor streams the log as hashes
    case_id = lived_case(api)
    before = api.client.get("/api/v1/audit/access", params={"case_id": case_id},
                            headers=api.headers("auditor")).json()["items"]
    response = api.client.get("/api/v1/audit/events", params={"content": "hashes"},
                              headers=api.headers("auditor"))
    # then each line is metadata and hashes only, and no disclosure is logged
    assert response.status_code == 200, response.text
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines and all(set(line) == set(HASH_FIELDS) for line in lines)
    assert all("data" not in line and "actor_id" not in line for line in lines)
    after = api.client.get("/api/v1/audit/access", params={"case_id": case_id},
                           headers=api.headers("auditor")).json()["items"]
    assert after == before


def test_an_unknown_content_is_a_bad_request(api: Any) -> None:
    response = api.client.get("/api/v1/audit/events", params={"content": "some"},
                              headers=api.headers("auditor"))
    api.problem(response, 400)


def test_verify_fails_when_the_log_no_longer_matches_a_stored_checkpoint(
        api: Any, settings: Any, tmp_path: Path) -> None:
    # given a checkpoint signed with the installation's key, then a relinked edit
    from infrastructure.checkpoint_keys import checkpoint_signer
    from tests.tampering import Dba

    lived_case(api)
    position, _ = api.ledger()
    assert str(checkpoint_signer(settings)) == str(SIGNER)
    sign_checkpoint(api.desk, SIGNER, tmp_path, force=True)
    with Dba(settings, api.desk) as db:
        db.drop_guard()
        db.set(position, "topic", "domain.cases:Case.Closed")
        db.rechain_from(position)
    # when an auditor verifies, then the chain passes but the checkpoint and the signature
    # do not, each naming the position
    report = api.client.get("/api/v1/audit/verify", headers=api.headers("auditor")).json()
    assert report["problem"] is None and not report["ok"]
    assert not report["checkpoints_ok"] and f"at position {position}" in \
        report["checkpoint_problem"]
    assert not report["signatures_ok"] and f"position {position}" in report["signature_problem"]
