"""GET Service Requests' filters: ids, service codes, statuses and a window of dates."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID

from litestar import Request

from api.open311.errors import Open311Error
from api.open311.form import CODE
from application.desk import ServiceDesk
from application.open311 import PublicRequest, list_requests, public_requests, requests_by_id
from application.queries import CaseIndexQuery
from projections.keyset import encode_cursor


def listed(request: Request[Any, Any, Any], name: str) -> list[str]:
    """A parameter that "can be declared multiple times, comma delimited"."""
    return [item.strip() for value in request.query_params.getall(name, [])
            for item in value.split(",") if item.strip()]


def parse_moment(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    # A '+' offset sent unencoded in a query string arrives as a space.
    text = re.sub(r" (\d\d:?\d\d)$", r"+\1", value.strip())
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or "T" not in text.upper() or moment.tzinfo is None:
        raise Open311Error(400, f"{name} must be a w3 date and time with a time zone, e.g. "
                                f"2026-01-01T00:00:00Z; got {value!r}")
    return moment


def find_requests(request: Request[Any, Any, Any], desk: ServiceDesk,
                  index: CaseIndexQuery) -> list[PublicRequest]:
    """The requests the query asks for; every problem with it reported at once."""
    # Read from the module at each call, so a test may lower the maximum.
    most, window = public_requests.MAX_RESULTS, public_requests.WINDOW
    ids = listed(request, "service_request_id")
    if ids:  # "This overrides all other arguments."
        if len(ids) > most:
            raise Open311Error(400, f"at most {most} service_request_id")
        return requests_by_id(desk, ids)
    problems = []
    codes = listed(request, "service_code")
    problems += [f"service_code {code!r} is not a service code" for code in codes
                 if not CODE.match(code)]
    statuses = listed(request, "status")
    problems += [f"status must be open or closed; got {status!r}" for status in statuses
                 if status not in {"open", "closed"}]
    dates: dict[str, datetime | None] = {}
    for name in ("start_date", "end_date"):
        try:
            dates[name] = parse_moment(name, request.query_params.get(name))
        except Open311Error as error:
            dates[name] = None
            problems += error.descriptions
    start, end = dates["start_date"], dates["end_date"]
    if start and end and start > end:
        problems.append("start_date must not be after end_date")
    if start and end and end - start > window:
        problems.append(f"start_date to end_date may not span more than {window.days} days")
    if problems:
        raise Open311Error(400, *problems)
    if start is None and end is None:
        end = desk.clock()
    if end is None:
        assert start is not None
        end = start + window
    start = start or end - window
    return list_requests(
        desk, index, start=start, end=end, service_codes=frozenset(codes) or None,
        statuses=frozenset(statuses) or None,
        after=encode_cursor(end, UUID(int=2**128 - 1)))
