"""Auditors' routes: the event log as JSON lines, its hash-chain verification, and the log of
who saw whose personal information. Only auditors and administrators (see `check_auditor`)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import anyio
import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.response import Stream

from api.auth import current_actor
from api.problems import described_problems, problem_doc
from application.access import check_auditor
from application.desk import ServiceDesk
from application.late_entries import late_entries
from application.queries import DEFAULT_PAGE, MAX_PAGE
from domain.actors import Actor
from domain.errors import InvalidValue, NotFound
from infrastructure.access_log import AccessLog, verify_access_log
from infrastructure.audit_export import FIELDS, HASH_FIELDS, audit_records, encode_line
from infrastructure.ledger import verify_log
from infrastructure.merkle_store import NotInTree
from infrastructure.settings import Settings

NDJSON = "application/x-ndjson"
LINES_PER_CHUNK = 500  # lines read and sent together: one worker-thread hop per chunk
ERRORS = "401 (no valid token), 403 (not an auditor or administrator)"


AUDIT_ERRORS = {401: problem_doc("No valid bearer token"),
                403: problem_doc("Only auditors and administrators read the audit trail")}

# Positions are 64-bit in both databases; larger numbers are refused, not overflowed.
MAX_POSITION = 2**63 - 1


class ChainReport(msgspec.Struct):
    """`ok` only when the chain is intact, the append-only guard is in place, every event
    after the first signed batch is signed by the application, and the log is consistent
    with every stored checkpoint."""

    ok: bool
    events: int
    head_position: int
    head_hash: str
    first_bad_position: int | None
    problem: str | None
    guard_ok: bool
    guard_problem: str | None
    signatures_ok: bool
    signature_problem: str | None  # names the first unsigned or falsely signed position
    checkpoints: int  # stored checkpoints checked (0 without a key to check them with)
    checkpoints_ok: bool
    checkpoint_problem: str | None
    access_log_ok: bool  # the access log's own chain holds
    access_log_entries: int
    access_log_problem: str | None  # names the first entry that does not hold

# A case's events, sent whole: every field they hold.
EVENT_FIELDS = ("events",)


class InclusionProofBody(msgspec.Struct):
    """RFC 9162 inclusion proof of one event; hashes in base64, the proof's deepest first."""

    position: int
    leaf_index: int  # the event's index among the tree's leaves (from 0)
    tree_size: int
    leaf: str  # the event's canonical bytes, whose SHA-256(0x00 || leaf) is the leaf hash
    leaf_hash: str
    root_hash: str
    hashes: list[str]
    checkpoint: str | None  # the signed checkpoint of this tree size, if one was signed
    tlog_proof: str | None  # the c2sp.org/tlog-proof@v1 text, when a checkpoint exists


class ConsistencyProofBody(msgspec.Struct, rename={"first": "from", "second": "to"}):
    """RFC 9162 consistency proof: the tree of `to` leaves extends the tree of `from`."""

    first: int
    second: int
    from_root_hash: str
    to_root_hash: str
    hashes: list[str]
    from_checkpoint: str | None
    to_checkpoint: str | None


PROOF_ERRORS = described_problems(
    e400="A parameter is malformed or out of bounds", e401="No valid bearer token",
    e403="Only auditors and administrators read the audit trail",
    e404="The event or tree size is not in the Merkle tree (yet)",
    e422="from is larger than to")


class Disclosure(msgspec.Struct):
    at: datetime
    actor_id: str
    actor_role: str
    case_id: str
    route: str
    # The personal fields disclosed, comma-separated (e.g. "subject,description,contact,
    # accessibility_needs"; "events": the case's events, every field); "" before fields were
    # logged.
    fields: str


class DisclosurePage(msgspec.Struct):
    items: list[Disclosure]
    next_cursor: str | None


class LateEntryView(msgspec.Struct):
    department: str  # owning the case when the entry was made
    reference: str
    fact: str
    targets: list[str]
    occurred_at: datetime  # when the fact happened
    missed_due_at: dict[str, datetime]  # each target's due time, recorded missed before it
    recorded_at: datetime  # when it was entered
    actor_id: str
    reason: str


class LateEntryPage(msgspec.Struct):
    items: list[LateEntryView]
    next_cursor: str | None


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]
    dependencies = {"actor": Provide(current_actor, sync_to_thread=False)}

    @get("/events", operation_id="audit_events", media_type=NDJSON, sync_to_thread=True,
         response_description="JSON lines: one event object a line, in log order",
         summary="The event log as JSON lines, whole, by position range, or for one case",
         description=(
             "One JSON object a line, in log order, with the keys " + ", ".join(FIELDS) +
             " (with `content=hashes`: " + ", ".join(HASH_FIELDS) + ") (and `problem` on a "
             "row the walk found broken). Positions are inclusive; "
             "`after` is the last position already read (exclusive), an alternative to "
             "`from_position`. The walk stops at the head as it was when it began. Every case "
             "whose events are sent is written to the access log. Errors: 400 (malformed "
             f"parameter), {ERRORS}, 404 (no such case), 422 (both after and from_position), "
             "as application/problem+json."),
         responses={**AUDIT_ERRORS, 400: problem_doc("A parameter is malformed"),
                    404: problem_doc("No such case"),
                    422: problem_doc("after and from_position were both given")})
    def events(
        self, request: Request[Any, Any, Any], actor: NamedDependency[Actor],
        desk: NamedDependency[ServiceDesk], access_log: NamedDependency[AccessLog],
        after: Annotated[int | None, QueryParameter(ge=0, le=MAX_POSITION)] = None,
        from_position: Annotated[int | None, QueryParameter(ge=1, le=MAX_POSITION)] = None,
        to_position: Annotated[int | None, QueryParameter(ge=0, le=MAX_POSITION)] = None,
        case_id: Annotated[UUID | None, QueryParameter(description="one case's events")] = None,
        limit: Annotated[int | None, QueryParameter(ge=1, le=10_000_000)] = None,
        content: Annotated[Literal["full", "hashes"], QueryParameter(
            description="full (default): every field of every event; hashes: each event's "
                        "metadata and hashes, nothing personal (not written to the access "
                        "log), enough for `civicdesk verify --against` and proofs")] = "full",
    ) -> Stream:
        check_auditor(actor)
        if after is not None and from_position is not None:
            raise InvalidValue("give either after or from_position, not both", "after")
        if case_id is not None:
            desk.get_case(actor, case_id)  # 404 for an unknown case, not an empty stream
        start = after + 1 if after is not None else from_position
        records: Iterable[dict[str, Any]] = audit_records(desk, start, to_position, case_id,
                                                          content=content)
        if limit is not None:
            records = itertools.islice(records, limit)
        disclosed: set[str] = set()
        route = f"{request.method} {request.url.path}"

        def disclose(record: dict[str, Any]) -> None:
            # A case's events carry its contact details and description: each case sent is
            # logged once per request, as it is read (a hash-only line carries neither).
            case = record["originator_id"]
            if content == "full" and (record["type"] or "").startswith("Case.") \
                    and case not in disclosed:
                disclosed.add(case)
                access_log.record(actor, UUID(case), route, EVENT_FIELDS)

        return Stream(_in_worker_thread(_chunks(records, disclose)), media_type=NDJSON)

    @get("/verify", operation_id="audit_verify", sync_to_thread=True,
         summary="Walk the hash chain over the whole log, check the append-only guard, the "
                 "application's signatures and every stored checkpoint",
         description=f"Errors: {ERRORS}, as application/problem+json.",
         responses=AUDIT_ERRORS)
    def verify(self, actor: NamedDependency[Actor], desk: NamedDependency[ServiceDesk],
               settings: NamedDependency[Settings]) -> ChainReport:
        check_auditor(actor)
        from infrastructure.checkpoint_check import check_checkpoints
        from infrastructure.checkpoint_keys import NoCheckpointKey, trusted_keys
        from infrastructure.checkpoints import stored_checkpoints
        from infrastructure.event_signatures import check_signatures

        verdict = verify_log(desk)
        access, _ = verify_access_log(desk)
        try:
            keys = trusted_keys(settings, [])
        except NoCheckpointKey:
            keys = None
        signatures = check_signatures(desk, keys)
        stored = [(f"stored checkpoint {n}", note)
                  for n, note in enumerate(stored_checkpoints(desk), start=1)]
        checked = check_checkpoints(desk, stored, keys) if stored and keys else []
        failed = next((c for c in checked if not c.ok), None)
        return ChainReport(
            ok=verdict.ok and verdict.guard_ok and signatures.ok and failed is None
            and access.ok,
            events=verdict.events, head_position=verdict.head_position,
            head_hash=verdict.head_hash, first_bad_position=verdict.first_bad_position,
            problem=verdict.problem, guard_ok=verdict.guard_ok,
            guard_problem=verdict.guard_problem, signatures_ok=signatures.ok,
            signature_problem=None if signatures.ok else
            f"position {signatures.first_bad_position}: {signatures.problem}",
            checkpoints=len(checked), checkpoints_ok=failed is None,
            checkpoint_problem=None if failed is None else
            f"{failed.source}" + ("" if failed.first_bad_position is None else
                                  f" at position {failed.first_bad_position}")
            + f": {failed.problem}",
            access_log_ok=access.ok, access_log_entries=access.entries,
            access_log_problem=None if access.ok else
            f"entry {access.first_bad_id}: {access.problem}")

    @get("/proofs/inclusion", operation_id="audit_inclusion_proof", sync_to_thread=True,
         summary="Prove that the event at a position is in the log's Merkle tree",
         description=(
             "RFC 9162 inclusion proof of the event at `position` in the tree of `tree_size` "
             "leaves (default: the latest signed checkpoint's size), with the event's leaf "
             "bytes and, when a checkpoint was signed at that size, the checkpoint and the "
             f"C2SP tlog-proof text. Errors: 400 (malformed parameter), {ERRORS}, 404 (not in "
             "the tree yet), as application/problem+json."),
         responses=PROOF_ERRORS)
    def inclusion_proof(
        self, actor: NamedDependency[Actor], desk: NamedDependency[ServiceDesk],
        position: Annotated[int, QueryParameter(ge=1, le=MAX_POSITION)],
        tree_size: Annotated[int | None, QueryParameter(ge=1, le=MAX_POSITION)] = None,
    ) -> InclusionProofBody:
        check_auditor(actor)
        from infrastructure.proofs import inclusion

        try:
            return InclusionProofBody(**inclusion(desk, position, tree_size))
        except NotInTree as error:
            raise NotFound(str(error), "tree_size" if "tree size" in str(error)
                           else "position") from None

    @get("/proofs/consistency", operation_id="audit_consistency_proof", sync_to_thread=True,
         summary="Prove that the log's Merkle tree at one size extends it at an earlier size",
         description=(
             "RFC 9162 consistency proof from the tree of `from` leaves to the tree of `to` "
             "leaves (default: the whole tree), with the checkpoints signed at either size. "
             f"Errors: 400 (malformed parameter), {ERRORS}, 404 (a size beyond the tree), 422 "
             "(from larger than to), as application/problem+json."),
         responses=PROOF_ERRORS)
    def consistency_proof(
        self, actor: NamedDependency[Actor], desk: NamedDependency[ServiceDesk],
        first: Annotated[int, QueryParameter(name="from", ge=1, le=MAX_POSITION)],
        second: Annotated[int | None, QueryParameter(name="to", ge=1, le=MAX_POSITION)] = None,
    ) -> ConsistencyProofBody:
        check_auditor(actor)
        if second is not None and first > second:
            raise InvalidValue("from must not be larger than to", "from")
        from infrastructure.proofs import consistency

        try:
            found = consistency(desk, first, second)
        except NotInTree as error:
            raise NotFound(str(error), "to") from None
        return ConsistencyProofBody(
            first=found["from"], second=found["to"], from_root_hash=found["from_root_hash"],
            to_root_hash=found["to_root_hash"], hashes=found["hashes"],
            from_checkpoint=found["from_checkpoint"], to_checkpoint=found["to_checkpoint"])

    @get("/access", operation_id="audit_access", sync_to_thread=True,
         summary="Who saw whose personal information: the access log, oldest first",
         description=(
             "Every response that carried a case's contact details or description: who, "
             "when, which case, and the route. Pass `next_cursor` as `after` for the next "
             f"page. Errors: 400 (malformed parameter), {ERRORS}, 422 (bad cursor), as "
             "application/problem+json."),
         responses={**AUDIT_ERRORS, 400: problem_doc("A parameter is malformed"),
                    422: problem_doc("The cursor is not valid")})
    def access(
        self, actor: NamedDependency[Actor], access_log: NamedDependency[AccessLog],
        case_id: UUID | None = None,
        actor_id: Annotated[str | None, QueryParameter(min_length=1, max_length=200)] = None,
        after: Annotated[str | None, QueryParameter(
            max_length=64, description="the `next_cursor` of the previous page")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    ) -> DisclosurePage:
        check_auditor(actor)
        rows = access_log.disclosures(case_id=case_id, actor_id=actor_id,
                                      after_id=_cursor(after), limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return DisclosurePage(
            items=[Disclosure(at=d.at, actor_id=d.actor_id, actor_role=d.actor_role,
                              case_id=str(d.case_id), route=d.route, fields=d.fields)
                   for _, d in rows],
            next_cursor=f"a{rows[-1][0]}" if more else None)


    @get("/late-entries", operation_id="audit_late_entries", sync_to_thread=True,
         summary="Facts entered after a deadline was recorded missed, that happened before it",
         description=(
             "Each fact (acknowledgement, interim response, outbound contact, resolution) "
             "entered after the scheduler recorded a deadline missed, that happened before "
             "that deadline: the target counts as met on time, and this list (oldest first, "
             "optionally of one `department`, the one owning the case when it was entered) "
             "shows every such entry with why it was entered late. Pass `next_cursor` as "
             f"`after` for the next page. Errors: 400 (malformed parameter), {ERRORS}, 422 "
             "(bad cursor), as application/problem+json."),
         responses={**AUDIT_ERRORS, 400: problem_doc("A parameter is malformed"),
                    422: problem_doc("The cursor is not valid")})
    def late_entries(
        self, actor: NamedDependency[Actor], desk: NamedDependency[ServiceDesk],
        department: Annotated[str | None, QueryParameter(
            min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] = None,
        after: Annotated[str | None, QueryParameter(
            max_length=64, description="the `next_cursor` of the previous page")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    ) -> LateEntryPage:
        entries, more = late_entries(desk, actor, department=department,
                                     after=_cursor(after), limit=limit)
        return LateEntryPage(
            items=[LateEntryView(department=e.department, reference=e.reference, fact=e.fact,
                                 targets=e.targets, occurred_at=e.occurred_at,
                                 missed_due_at=e.missed_due_at, recorded_at=e.recorded_at,
                                 actor_id=e.actor_id, reason=e.reason) for e in entries],
            next_cursor=None if more is None else f"a{more}")


def _cursor(after: str | None) -> int:
    """Cursors are `a` and the last id seen: opaque to clients, stable as the log only grows."""
    if after is None:
        return 0
    if after[:1] != "a" or not after[1:].isdigit() or len(after) > 20:
        raise InvalidValue("after is not a cursor this list gave", "after")
    return int(after[1:])


def _chunks(records: Iterable[dict[str, Any]],
            disclose: Callable[[dict[str, Any]], None]) -> Iterator[bytes]:
    iterator = iter(records)
    while batch := list(itertools.islice(iterator, LINES_PER_CHUNK)):
        for record in batch:
            disclose(record)
        yield b"".join(encode_line(record) for record in batch)


async def _in_worker_thread(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Each chunk is read (from the database) in a worker thread, off the event loop. Unlike
    Litestar's own wrapper of a sync iterator, an error ends the response as an error (the
    client sees a broken transfer), never as a quietly shortened log."""
    while (chunk := await anyio.to_thread.run_sync(next, chunks, None)) is not None:
        yield chunk
