"""`GET /api/v1/reports/accountability`: the clerk's report, as JSON, zipped CSV or HTML."""

from __future__ import annotations

from typing import Annotated, Literal

import anyio
from litestar import MediaType, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException
from litestar.params import QueryParameter

from api.auth import current_actor
from api.media_forms import operation_with_forms
from api.plain_text import PERIOD_CHARACTERS
from api.problems import problem_doc
from api.report_formats import file_name, to_csv_zip, to_json
from application.accountability import AccountabilityReport
from application.accountability.read_models import CASE_SNAPSHOTS_NAME
from application.desk import ServiceDesk
from domain.actors import Actor
from engine.runner import ProjectionNotReady, ProjectionSet
from infrastructure.accountability_source import LedgerNotIntact, produce_report
from infrastructure.settings import Settings
from projections.case_snapshots import CaseSnapshotsView

Format = Literal["json", "csv", "html"]
# Litestar adds "; charset=utf-8" to a text/* type itself: naming it here sent it twice.
MEDIA_TYPES = {"json": "application/json", "csv": "application/zip", "html": "text/html"}
EXTENSIONS = {"json": "json", "csv": "zip", "html": "html"}
READ_MODEL_WAIT_SECONDS = 2.0  # then the whole log is replayed, which gives the same report


def render(report: AccountabilityReport, kind: str) -> bytes:
    """The report as the bytes of one format: json, csv (a zip of CSV tables) or html."""
    if kind == "csv":
        return to_csv_zip(report)
    if kind == "html":
        from api.report_html import render_html  # matplotlib loads on the first HTML report

        return render_html(report).encode("utf-8")
    return to_json(report)


ReportOperation = operation_with_forms(
    "The report: JSON (format=json), a zip with one CSV per table (format=csv) or a "
    "self-contained HTML page (format=html)",
    {MEDIA_TYPES["csv"]: "a zip of CSV tables", "text/html": "a self-contained page"})


@get("/api/v1/reports/accountability", operation_id="accountability_report",
     tags=["reports"], summary="The accountability report for a period",
     dependencies={"actor": Provide(current_actor, sync_to_thread=False)},
     description=(
         "What the Town promised and what it kept, for a period (`period` = 2026, 2026-Q3 or "
         "2026-07, or `from` and `to` dates, Toronto days) and one department or all, as of a "
         "moment (`as_of`, RFC 3339, default now). Computed from the event log up to the last "
         "event recorded at or before `as_of`, whose position and chain hash the report "
         "carries: the same inputs give the same bytes however much is recorded later. "
         "`format`: json, csv (a zip with one CSV per table) or html (a self-contained, "
         "printable page with charts). Clerks, auditors, directors and administrators only. "
         "Errors: 400 (malformed parameter, unknown format), 401, 403, 409 (the log fails "
         "verification), 422 (bad period, dates, department or as_of), as "
         "application/problem+json naming the parameter."),
     responses={400: problem_doc("A parameter is malformed, or the format unknown"),
                401: problem_doc("No valid bearer token"),
                403: problem_doc("The role may not produce reports"),
                409: problem_doc("The event log fails verification; nothing is certified"),
                422: problem_doc("The period, dates, department or as_of are not valid")},
     media_type=MediaType.JSON, operation_class=ReportOperation)
async def accountability_report(
    actor: NamedDependency[Actor],
    desk: NamedDependency[ServiceDesk],
    settings: NamedDependency[Settings],
    projections: NamedDependency[ProjectionSet],
    case_snapshots: NamedDependency[CaseSnapshotsView],
    period: Annotated[str | None, QueryParameter(
        name="period", max_length=16, pattern=PERIOD_CHARACTERS,
        description="2026, 2026-Q3 or 2026-07")] = None,
    first: Annotated[str | None, QueryParameter(
        name="from", max_length=10, pattern=PERIOD_CHARACTERS,
        description="first day, 2026-07-01 (with `to`)")] = None,
    last: Annotated[str | None, QueryParameter(
        name="to", max_length=10, pattern=PERIOD_CHARACTERS,
        description="last day, 2026-09-30 (with `from`)")] = None,
    department: Annotated[str | None, QueryParameter(
        name="department", min_length=1, max_length=64,
        description="a department code; all departments if left out")] = None,
    as_of: Annotated[str | None, QueryParameter(
        name="as_of", max_length=64, description="RFC 3339 moment; default now")] = None,
    format: Annotated[Format, QueryParameter(name="format")] = "json",
    replay: Annotated[bool, QueryParameter(
        name="replay", description=(
            "true: figure the report by replaying the whole event log and verifying the whole "
            "hash chain (an auditor's check; slower), not from the read models. The report "
            "is the same either way."))] = False,
    include_imported: Annotated[bool, QueryParameter(
        name="include_imported", description=(
            "true: count the cases imported from another system (`civicdesk import`); by "
            "default the report speaks only for the cases the desk itself received"))] = False,
) -> Response[AccountabilityReport]:
    def reached(head: int) -> bool:
        # Not there in time (lagging, stopped or failed): the report replays the log instead.
        try:
            projections.wait_for(head, READ_MODEL_WAIT_SECONDS, names=[CASE_SNAPSHOTS_NAME])
        except ProjectionNotReady:
            return False
        return True

    # Async with an explicit worker thread, as `case_list` does (Litestar 2.25 wraps a
    # sync_to_thread handler twice when another handler joins its path later).
    def produce() -> tuple[AccountabilityReport, bytes]:
        report = produce_report(desk, actor, period=period, first=first, last=last,
                                department=department, as_of=as_of,
                                min_sample=settings.min_sample, read_model=case_snapshots,
                                reached=reached, replay=replay,
                                include_imported=include_imported)
        return report, render(report, format)

    try:
        report, body = await anyio.to_thread.run_sync(produce)
    except LedgerNotIntact as error:
        raise HTTPException(status_code=409, detail=error.detail) from None
    disposition = "attachment" if format == "csv" else "inline"
    headers = {"Content-Disposition": f'{disposition}; filename="'
                                      f'{file_name(report, EXTENSIONS[format])}"',
               "X-Civicdesk-Position": str(report.chain.head_position),
               "X-Civicdesk-Chain-Hash": report.chain.head_hash}
    # The body is already encoded: Litestar passes bytes through, while the annotation
    # documents the JSON form in the OpenAPI schema.
    return Response(body, media_type=MEDIA_TYPES[format], headers=headers)  # type: ignore[arg-type]
