"""What a resident may see of their request, by its reference and public token:
`GET /api/v1/public/requests/{reference}?token=...` (JSON) and the page
`/status/{reference}?token=...` (HTML, WCAG 2.1 AA).

Both show the request's status, its department and service, the promises that apply and
whether each was kept, and the notes staff published. Neither shows personal information
(contact details, description, subject, assignee). References are sequential, so the token
(given to the customer at receipt) is required: a wrong or missing token is answered exactly as
an unknown reference. The token travels in the query string, which the request log leaves out.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Annotated, Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

import anyio
import msgspec
from litestar import MediaType, Response, get
from litestar.di import NamedDependency
from litestar.openapi.spec import Operation
from litestar.params import QueryParameter
from litestar.response import Redirect

from api.problems import problem_doc
from application.desk import ServiceDesk
from application.open311 import PublicStatus, public_status
from domain.errors import NotFound

TOWN_TIME = ZoneInfo("America/Toronto")
PromiseState = Literal["pending", "paused", "met", "met_late", "breached", "not_measured"]
STATUS_LABELS = {"open": "Open: we are working on it",
                 "waiting_on_customer": "Waiting for your reply",
                 "resolved": "Resolved", "closed": "Closed"}
# No Content-Security-Policy nonce is needed: the page has no script, and its one style sheet
# is inline.
SECURITY_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
                    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


class DepartmentRef(msgspec.Struct):
    code: str
    name: str


class ServiceRef(msgspec.Struct):
    code: str
    name: str


class PromiseView(msgspec.Struct):
    title: str
    due_at: datetime
    met_at: datetime | None
    state: PromiseState
    kept: bool | None  # null while the promise can still be kept


class NoteView(msgspec.Struct):
    note: str
    published_at: datetime


class MergedRef(msgspec.Struct):
    """The request a duplicate was merged into, which carries the matter on."""

    reference: str
    status: Literal["open", "waiting_on_customer", "resolved", "closed"]


class PublicRequestStatus(msgspec.Struct):
    reference: str
    status: Literal["open", "waiting_on_customer", "resolved", "closed"]
    open311_status: Literal["open", "closed"]
    received_at: datetime
    updated_at: datetime
    department: DepartmentRef
    service: ServiceRef | None  # null when the case's service is internal or not named
    promises: list[PromiseView]
    notes: list[NoteView]
    merged_into: MergedRef | None = None  # set on a duplicate merged into another request


def status_view(found: PublicStatus) -> PublicRequestStatus:
    service = (ServiceRef(code=found.service_code, name=found.service_name)
               if found.service_code and found.service_name else None)
    return PublicRequestStatus(
        reference=found.reference, status=found.status,  # type: ignore[arg-type]
        open311_status=found.open311_status,  # type: ignore[arg-type]
        received_at=found.received_at, updated_at=found.updated_at,
        department=DepartmentRef(code=found.department_code, name=found.department_name),
        service=service,
        promises=[PromiseView(title=p.title, due_at=p.due_at, met_at=p.met_at,
                              state=p.state, kept=p.kept)  # type: ignore[arg-type]
                  for p in found.promises],
        notes=[NoteView(note=n.note, published_at=n.published_at) for n in found.notes],
        merged_into=MergedRef(reference=found.merged_into,
                              status=found.merged_into_status)  # type: ignore[arg-type]
        if found.merged_into is not None and found.merged_into_status is not None else None)


def normalized(reference: str) -> str:
    return reference.strip().upper()


class PublicOperation(Operation):
    """An operation anyone may call: `security: []` overrides the document's bearer default
    (Litestar leaves an empty `security` out, which would leave the default in force)."""

    def to_schema(self) -> dict[str, Any]:
        schema = super().to_schema()
        schema["security"] = []
        return schema


@get("/api/v1/public/requests/{reference:str}", operation_id="public_request_status",
     tags=["public"], operation_class=PublicOperation,
     summary="A request's public status, by its reference and public token",
     description="No sign-in. Status, department, service, the promises that apply and "
                 "whether each was kept, and the notes staff published; no personal "
                 "information. `token` is the request's public token (in the case view and "
                 "the customer's confirmation). Errors: 404 (no request with this reference "
                 "and token) as application/problem+json.",
     responses={400: problem_doc("The request is malformed"),
                404: problem_doc("No request has this reference and token")})
async def public_request_status(
        desk: NamedDependency[ServiceDesk], reference: str,
        token: Annotated[str | None, QueryParameter(
            description="the request's public token")] = None) -> PublicRequestStatus:
    found = await anyio.to_thread.run_sync(public_status, desk,
                                           normalized(reference), token)
    return status_view(found)


# -- the page ----------------------------------------------------------------------------------

STYLE = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
font-size:1.125rem;line-height:1.5;color:#1b1b1b;background:#fff}
header,main,footer{max-width:46rem;margin:0 auto;padding:1rem 1.25rem}
header{border-bottom:4px solid #004b87}
header p{margin:0;font-weight:700;color:#004b87}
a{color:#004b87}
a:focus,input:focus,button:focus{outline:3px solid #b35c00;outline-offset:2px}
.skip{position:absolute;left:-999rem}
.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}
h1{font-size:2rem;margin:.5rem 0}
h2{font-size:1.4rem;margin-top:2rem;border-bottom:1px solid #595959}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dt{font-weight:700}
dd{margin:0}
table{border-collapse:collapse;width:100%}
caption{text-align:left;padding-bottom:.5rem;color:#3b3b3b}
th,td{border:1px solid #595959;padding:.5rem;text-align:left;vertical-align:top}
thead th{background:#e8eef4}
.status{font-size:1.25rem}
ol.notes{padding-left:1.25rem}
label{display:block;font-weight:700;margin-bottom:.25rem}
input{font-size:1.125rem;padding:.4rem;border:2px solid #595959;border-radius:4px}
button{font-size:1.125rem;padding:.45rem 1rem;margin-left:.5rem;color:#fff;
background:#004b87;border:2px solid #004b87;border-radius:4px;cursor:pointer}
footer{border-top:1px solid #595959;color:#3b3b3b;font-size:1rem}
h1,dd,td,li{overflow-wrap:anywhere}
input{max-width:100%}
@media (max-width:30rem){
dl{grid-template-columns:1fr}
dd{margin-bottom:.5rem}
table,tbody,tr,td,caption{display:block}
thead{position:absolute;left:-999rem}
tr{border:1px solid #595959;margin-bottom:.75rem}
td{border:0;border-bottom:1px solid #d0d0d0}
td::before{content:attr(data-label);display:block;font-weight:700}
button{margin:.5rem 0 0}
}
"""
# Below 30rem (WCAG 1.4.10's 320 px, or 1280 px at 400 % zoom) the promise table stacks: each
# promise a block, each cell under its column's name (`data-label`), so nothing scrolls sideways.


def spoken(moment: datetime) -> str:
    """`Wednesday, March 4, 2026 at 10:00 a.m. EST`, in the Town's time."""
    local = moment.astimezone(TOWN_TIME)
    hour = local.hour % 12 or 12
    half = "a.m." if local.hour < 12 else "p.m."
    return (f"{local:%A}, {local:%B} {local.day}, {local.year} at {hour}:{local:%M} {half} "
            f"{local:%Z}")


def moment_html(moment: datetime) -> str:
    return f'<time datetime="{moment.isoformat()}">{escape(spoken(moment))}</time>'


def kept_text(state: str, met_at: datetime | None) -> str:
    done = f" (done {moment_html(met_at)})" if met_at else ""
    if state == "met":
        return f"Kept{done}"
    if state == "met_late":
        return f"Not kept: done late{done}"
    if state == "breached":
        return "Not kept: the due date passed"
    if state == "paused":
        return "On hold while we wait for your reply"
    if state == "not_measured":
        return "Not measured: your wait was not recorded"
    return "Not yet due"


def lookup_form(value: str = "") -> str:
    return ('<h2 id="lookup">Look up a request</h2>'
            '<form method="get" action="/status" aria-labelledby="lookup">'
            '<p><label for="reference">Reference number (for example SC-2026-000123)</label>'
            f'<input id="reference" name="reference" type="text" value="{escape(value)}" '
            'autocomplete="off" spellcheck="false" required></p>'
            '<p><label for="token">Access code (from your confirmation)</label>'
            '<input id="token" name="token" type="text" autocomplete="off" '
            'spellcheck="false" required>'
            '<button type="submit">Look up</button></p></form>')


def page(title: str, body: str) -> str:
    return ('<!DOCTYPE html><html lang="en-CA"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)} - Town of Cobourg</title><style>{STYLE}</style></head>"
            '<body><a class="skip" href="#main">Skip to main content</a>'
            "<header><p>Town of Cobourg: Service Cobourg</p></header>"
            f'<main id="main">{body}</main>'
            "<footer><p>Questions? Contact Service Cobourg at Victoria Hall, 55 King Street "
            "West, Cobourg. Quote your reference number.</p></footer></body></html>")


def status_page(found: PublicStatus) -> str:
    label = STATUS_LABELS.get(found.status, found.status)
    rows = "".join(
        f'<tr><td data-label="Promise">{escape(p.title)}</td>'
        f'<td data-label="Due">{moment_html(p.due_at)}</td>'
        f'<td data-label="Kept?">{kept_text(p.state, p.met_at)}</td></tr>'
        for p in found.promises)
    promises = (
        "<table><caption>The Town's service standards that apply to this request, and whether "
        "each was kept</caption><thead><tr><th scope=\"col\">Promise</th>"
        "<th scope=\"col\">Due</th><th scope=\"col\">Kept?</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>" if found.promises else
        "<p>No service standard sets a deadline for this request.</p>")
    notes = ("<ol class=\"notes\">" + "".join(
        f"<li><p><strong>{moment_html(n.published_at)}</strong></p><p>{escape(n.note)}</p>"
        "</li>"
        for n in found.notes) + "</ol>" if found.notes else
        "<p>No updates have been published yet.</p>")
    service = (f"<dt>Service</dt><dd>{escape(found.service_name)}</dd>"
               if found.service_name else "")
    merged = ""
    if found.merged_into is not None:
        merged = (f"<p>This request was about the same matter as request "
                  f"<strong>{escape(found.merged_into)}</strong>, and was merged into it: "
                  "you will hear the outcome of that request. Its status: <strong>"
                  f"{escape(STATUS_LABELS.get(found.merged_into_status or '', ''))}"
                  "</strong>.</p>")
    body = (f"<h1>Request {escape(found.reference)}</h1>"
            f'<p class="status">Status: <strong>{escape(label)}</strong></p>{merged}'
            f"<dl>{service}<dt>Department responsible</dt>"
            f"<dd>{escape(found.department_name)}</dd>"
            f"<dt>Received</dt><dd>{moment_html(found.received_at)}</dd>"
            f"<dt>Last updated</dt><dd>{moment_html(found.updated_at)}</dd></dl>"
            f"<h2>Our promises</h2>{promises}<h2>Updates from the Town</h2>{notes}"
            + lookup_form())
    return page(f"Request {found.reference}: {label}", body)


def html(text: str, status: int = 200) -> Response[str]:
    return Response(text, status_code=status, media_type=MediaType.HTML,
                    headers=SECURITY_HEADERS)


@get("/status/{reference:str}", operation_id="public_status_page", include_in_schema=False)
async def status_page_route(desk: NamedDependency[ServiceDesk], reference: str,
                            token: Annotated[str | None, QueryParameter()] = None,
                            ) -> Response[str]:
    wanted = normalized(reference)
    try:
        found = await anyio.to_thread.run_sync(public_status, desk, wanted, token)
    except NotFound:
        body = (f"<h1>Request {escape(wanted)} was not found</h1><p>Check the reference "
                "number and the access code on your confirmation, then try again.</p>"
                + lookup_form(wanted))
        return html(page("Request not found", body), 404)
    return html(status_page(found))


@get("/status", operation_id="public_status_lookup", include_in_schema=False)
async def status_lookup(reference: Annotated[str | None, QueryParameter()] = None,
                        token: Annotated[str | None, QueryParameter()] = None,
                        ) -> Response[Any]:
    if reference and reference.strip():
        query = f"?token={quote(token.strip(), safe='')}" if token and token.strip() else ""
        return Redirect(f"/status/{quote(normalized(reference), safe='')}{query}",
                        status_code=303)
    body = ("<h1>Follow your request</h1><p>Enter the reference number the Town gave you "
            "to see your request's status and the Town's updates.</p>" + lookup_form())
    return html(page("Follow your request", body))
