"""Litestar's own 404 (no route) and 405 (a method no route takes) under /open311/v2, answered
in GeoReport's error format like every other Open311 answer.

Litestar raises them while routing, before any router's exception handlers apply, so the
Open311 router cannot catch them: the app's handler for HTTPException is wrapped instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException

from api.open311.errors import Open311Error, as_open311_error
from api.open311.formats import error_response, format_of
from api.open311.payloads import BASE

Handler = Callable[[Request[Any, Any, Any], Exception], Response[Any]]


def _in_open311(path: str) -> bool:
    return path == BASE or path.startswith(f"{BASE}/")


def _described(request: Request[Any, Any, Any], error: HTTPException) -> Open311Error:
    path = request.url.path
    if error.status_code == 405:
        allow = next((value for name, value in (error.headers or {}).items()
                      if name.lower() == "allow"), "")
        return Open311Error(405, f"{request.method} is not allowed on {path}; it takes "
                                 f"{allow}", headers={"Allow": allow})
    if error.status_code == 404:
        return Open311Error(404, f"{path} is not a resource of this endpoint; discovery.json "
                                 "lists them")
    return as_open311_error(error)


def with_open311_routing_errors(handlers: Mapping[Any, Handler]) -> dict[Any, Handler]:
    """`handlers` (the app's), with HTTPException under /open311/v2 in GeoReport's format."""
    fallback = handlers[HTTPException]

    def handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
        if isinstance(error, HTTPException) and _in_open311(request.url.path):
            return error_response(format_of(request.url.path), _described(request, error))
        return fallback(request, error)

    return {**handlers, HTTPException: handler}
