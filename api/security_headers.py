"""Response headers that keep personal information out of caches and pages out of harm's way.

Every response gets `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` (a
status page's address carries the request's public token: it must not leak to other sites).
Every response under `/api/`, `/status`, `/survey/` and `/open311/` gets `Cache-Control:
no-store`: these carry contact details, descriptions, addresses or tokens, and one rule for the
whole tree cannot forget a route. Every HTML page gets a Content-Security-Policy unless it set
its own: the API reference pages under `/schema` may load their scripts and styles from where
their render plugins say (today a CDN; 'self' once the assets are served locally), every other
page only inline styles and `data:` images (the status page, the accountability report's SVG
charts).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

NO_STORE_PREFIXES = ("/api/", "/status", "/survey/", "/open311/")
PAGE_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SCHEMA_PREFIX = "/schema"
ORIGIN = re.compile(r"https?://[^/'\"\s>]+")


def schema_page_policy(render_plugins: Iterable[object]) -> str:
    """The CSP of the API reference pages: 'self' and the origins their plugins load from.

    Scalar and Swagger UI put their configuration in inline scripts and styles, so those are
    allowed; the origins are read from the plugins' own settings (script, style, favicon), so
    the policy follows when the assets move.
    """
    origins = sorted({match for plugin in render_plugins for value in vars(plugin).values()
                      if isinstance(value, str) for match in ORIGIN.findall(value)})
    sources = " ".join(["'self'", *origins])
    return (f"default-src 'self'; script-src {sources} 'unsafe-inline'; "
            f"style-src {sources} 'unsafe-inline'; img-src {sources} data:; "
            f"font-src {sources} data:; connect-src 'self'; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'none'")


def security_headers(schema_policy: str) -> Callable[[Message, Scope], None]:
    """A `before_send` hook (it sees every response, also the 404 and 405 of paths no route
    matches, which route middleware never sees) adding the headers above."""

    def hook(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        path: str = scope["path"]
        headers = MutableScopeHeaders.from_message(message)
        headers["X-Content-Type-Options"] = "nosniff"
        if "referrer-policy" not in headers:
            headers["Referrer-Policy"] = "no-referrer"
        if path.startswith(NO_STORE_PREFIXES):
            headers["Cache-Control"] = "no-store"
        if (headers.get("content-type", "").startswith("text/html")
                and "content-security-policy" not in headers):
            headers["Content-Security-Policy"] = (
                schema_policy if path.startswith(SCHEMA_PREFIX) else PAGE_POLICY)

    return hook
