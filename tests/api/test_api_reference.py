"""The API reference at /schema works with no internet: every asset comes from this server."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from litestar import Litestar
from litestar.testing import TestClient

SOURCES = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
EXPECTED_MEDIA = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


@pytest.mark.parametrize("page", ["/schema", "/schema/swagger"])
def test_the_reference_page_loads_every_asset_from_this_server(
        client: TestClient[Litestar], page: str) -> None:
    # given the reference page
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assets = SOURCES.findall(response.text)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets), assets
    for asset in assets:
        # then it names no other origin (no CDN), and each asset answers 200 with its file
        assert not urlsplit(asset).scheme and not urlsplit(asset).netloc, asset
        assert asset.startswith("/"), asset
        fetched = client.get(asset)
        assert fetched.status_code == 200, asset
        suffix = asset[asset.rfind("."):]
        assert EXPECTED_MEDIA[suffix] in fetched.headers["content-type"], asset
        assert len(fetched.content) > 100, asset
    assert "cdn." not in response.text and "unpkg" not in response.text
