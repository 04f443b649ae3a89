"""The API reference pages at /schema and /schema/swagger, working with no internet.

Litestar's render plugins load their JavaScript, CSS and favicon from public CDNs by default;
a desk on an isolated network (or a browser that blocks third-party scripts) would get a blank
page. Swagger UI's files come from the `swagger-ui-bundle-v2` package and are served by this
server under ASSETS. No package ships Scalar's bundle, so /schema is Swagger UI as well.
"""

from __future__ import annotations

from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

ASSETS = "/schema-assets/swagger-ui"
# The favicon is one of the bundle's own files, so the page asks nothing of another origin.
FAVICON = f"<link rel='icon' type='image/png' href='{ASSETS}/favicon-32x32.png'>"


def reference_page() -> SwaggerRenderPlugin:
    """Swagger UI at /schema and /schema/swagger, every asset from this server."""
    return SwaggerRenderPlugin(
        path=["/", "/swagger"],
        js_url=f"{ASSETS}/swagger-ui-bundle.js",
        css_url=f"{ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
        favicon=FAVICON)


def reference_assets() -> Router:
    """The bundle's files, outside the OpenAPI document; anyone may fetch them."""
    return create_static_files_router(path=ASSETS, directories=[swagger_ui_path],
                                      name="swagger-ui-assets", include_in_schema=False)
