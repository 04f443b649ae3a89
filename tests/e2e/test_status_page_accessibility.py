"""The public status pages pass axe-core's WCAG 2.1 A and AA rules in headless Chromium.

A real `civicdesk serve` renders the pages; Debian's chromium loads them, driven by
playwright-core from the npm registry, and axe-core (npm) is injected and run on each. Both npm
packages are installed once, at pinned versions, into a cache folder outside the repository.
Without chromium or node the test is skipped, with the reason, on a developer's machine, and
fails under CI (CI=true): `make browser` installs chromium.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from infrastructure.settings import Settings
from tests.e2e.civicdesk_server import ServerProcess, serving

pytestmark = pytest.mark.e2e

AXE_CORE = "4.11.0"
PLAYWRIGHT_CORE = "1.56.1"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
NODE_TOOLS = CACHE / "civicdesk" / f"axe-core-{AXE_CORE}-playwright-core-{PLAYWRIGHT_CORE}"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Loads each page, injects axe-core (past the page's Content-Security-Policy, which allows no
# script), runs the WCAG 2.1 A/AA rules and prints one JSON result per page.
AXE_CHECK = """
const { chromium } = require('playwright-core');
const fs = require('fs');
const [executablePath, axePath, tags, ...urls] = process.argv.slice(2);
(async () => {
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({ bypassCSP: true });
    const results = [];
    for (const url of urls) {
      const page = await context.newPage();
      const response = await page.goto(url, { waitUntil: 'load' });
      await page.addScriptTag({ content: fs.readFileSync(axePath, 'utf8') });
      const found = await page.evaluate((values) => axe.run(document,
        { runOnly: { type: 'tag', values } }), tags.split(','));
      results.push({ url, status: response.status(),
        violations: found.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.map((n) => n.target) })),
        passes: found.passes.map((p) => p.id) });
      await page.close();
    }
    console.log(JSON.stringify(results));
  } finally {
    await browser.close();
  }
})().catch((error) => { console.error(error); process.exit(2); });
"""

# WCAG 1.4.10 (Reflow): at 320 CSS pixels wide, nothing scrolls sideways. Reports each page's
# scrolling width and the elements that stick out past the viewport's right edge.
REFLOW_CHECK = """
const { chromium } = require('playwright-core');
const [executablePath, width, ...urls] = process.argv.slice(2);
(async () => {
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({ viewport: { width: Number(width), height: 640 } });
    const results = [];
    for (const url of urls) {
      const page = await context.newPage();
      const response = await page.goto(url, { waitUntil: 'load' });
      const found = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        wider: [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right
                         > document.documentElement.clientWidth + 0.5)
          .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')) }));
      results.push({ url, status: response.status(), ...found });
      await page.close();
    }
    console.log(JSON.stringify(results));
  } finally {
    await browser.close();
  }
})().catch((error) => { console.error(error); process.exit(2); });
"""
NARROWEST = 320  # CSS pixels: WCAG 1.4.10's width (1280 px at 400 % zoom)


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required under CI)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> tuple[str, str, Path]:
    """Chromium, node, and the folder holding playwright-core, axe-core and the script."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    node, npm = shutil.which("node"), shutil.which("npm")
    if chromium is None:
        unavailable("Debian's chromium is not installed; `make browser` installs it")
    if node is None or npm is None:
        unavailable("node and npm are needed to run axe-core")
    assert chromium is not None and node is not None and npm is not None
    modules = NODE_TOOLS / "node_modules"
    if not ((modules / "axe-core" / "axe.min.js").exists()
            and (modules / "playwright-core" / "package.json").exists()):
        NODE_TOOLS.mkdir(parents=True, exist_ok=True)
        installed = subprocess.run(
            [npm, "install", "--prefix", str(NODE_TOOLS), "--no-audit", "--no-fund",
             "--loglevel=error", f"axe-core@{AXE_CORE}", f"playwright-core@{PLAYWRIGHT_CORE}"],
            capture_output=True, text=True, timeout=300, check=False)
        if installed.returncode != 0:
            unavailable(f"npm could not install axe-core and playwright-core: "
                        f"{installed.stderr.strip()[-500:]}")
    (NODE_TOOLS / "axe_check.cjs").write_text(AXE_CHECK)
    (NODE_TOOLS / "reflow_check.cjs").write_text(REFLOW_CHECK)
    return chromium, node, NODE_TOOLS


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with serving(Settings(data_dir=tmp_path / "data"), tmp_path / "server.log") as server:
        yield server


def audited(browser: tuple[str, str, Path], *urls: str) -> list[dict[str, Any]]:
    chromium, node, tools = browser
    ran = subprocess.run(
        [node, str(tools / "axe_check.cjs"), chromium,
         str(tools / "node_modules" / "axe-core" / "axe.min.js"), ",".join(WCAG_21_AA), *urls],
        cwd=tools, capture_output=True, text=True, timeout=180, check=False)
    assert ran.returncode == 0, ran.stderr
    results: list[dict[str, Any]] = json.loads(ran.stdout)
    return results


def reflowed(browser: tuple[str, str, Path], width: int, *urls: str) -> list[dict[str, Any]]:
    chromium, node, tools = browser
    ran = subprocess.run([node, str(tools / "reflow_check.cjs"), chromium, str(width), *urls],
                         cwd=tools, capture_output=True, text=True, timeout=180, check=False)
    assert ran.returncode == 0, ran.stderr
    results: list[dict[str, Any]] = json.loads(ran.stdout)
    return results


def a_request_with_promises_and_notes(server: ServerProcess) -> str:
    """An email acknowledged at once (a kept promise) with a note published; its status page's
    path (reference and public token)."""
    token = server.cli("token", "--role", "csr", "--sub", "csr-axe")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30.0) as http:
        case = http.post("/api/v1/cases", json={
            "channel": "email", "purpose": "issue_or_complaint",
            "service_code": "public-works-engineering-02", "subject": "Streetlight out",
            "contact": {"name": "Ada Lovelace", "email": "ada@example.org"}})
        assert case.status_code == 201, case.text
        case_id, status_page = case.json()["id"], case.json()["status_page"]
        for route, body in (("acknowledge", {"message": "We have your email"}),
                            ("public-notes", {"note": "A crew will replace the lamp."})):
            answered = http.post(f"/api/v1/cases/{case_id}/{route}", json=body)
            assert answered.status_code == 200, answered.text
    path: str = status_page
    return path


def a_merged_request(server: ServerProcess) -> str:
    """A request merged as a duplicate into another: its status page's path, which points at
    that request."""
    token = server.cli("token", "--role", "csr", "--sub", "csr-axe")
    headers = {"Authorization": f"Bearer {token}"}
    body = {"channel": "email", "purpose": "issue_or_complaint",
            "service_code": "public-works-engineering-02", "subject": "Fallen tree"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30.0) as http:
        survivor, duplicate = (http.post("/api/v1/cases", json=body).json() for _ in "12")
        merged = http.post(f"/api/v1/cases/{duplicate['id']}/merge-into",
                           json={"into": survivor["id"], "reason": "The same tree"})
        assert merged.status_code == 200, merged.text
    path: str = duplicate["status_page"]
    return path


class TestStatusPageAccessibility:
    def test_the_status_lookup_and_not_found_pages_have_no_wcag_21_aa_violations(
            self, browser: tuple[str, str, Path], server: ServerProcess) -> None:
        # Given a request with a kept promise, a pending one and a published note
        # (and one merged into another request, which says so)
        status_page = a_request_with_promises_and_notes(server)
        pages = [f"{server.base_url}{status_page}", f"{server.base_url}/status",
                 f"{server.base_url}/status/SC-1999-000001",
                 f"{server.base_url}{a_merged_request(server)}"]
        # When axe-core audits each page in headless Chromium
        results = audited(browser, *pages)
        # Then every page rendered, axe ran its checks, and found no violation
        assert [r["status"] for r in results] == [200, 200, 404, 200]
        for result in results:
            assert result["violations"] == [], json.dumps(result["violations"], indent=2)
            assert {"color-contrast", "html-has-lang", "document-title",
                    "label"} <= set(result["passes"]), result["passes"]

    def test_the_pages_reflow_at_320_pixels_without_scrolling_sideways(
            self, browser: tuple[str, str, Path], server: ServerProcess) -> None:
        # Given a request with promises (a table of three columns) and a published note
        status_page = a_request_with_promises_and_notes(server)
        pages = [f"{server.base_url}{status_page}", f"{server.base_url}/status",
                 f"{server.base_url}/status/SC-1999-000001"]
        # When Chromium lays each page out 320 CSS pixels wide
        results = reflowed(browser, NARROWEST, *pages)
        # Then nothing is wider than the viewport: no horizontal scrolling (WCAG 1.4.10)
        assert [r["status"] for r in results] == [200, 200, 404]
        for result in results:
            assert result["clientWidth"] == NARROWEST, result
            assert result["scrollWidth"] <= NARROWEST and result["wider"] == [], result
