"""The HTML accountability report, rendered by a real browser: headless Chromium (Debian's
`chromium`, installed by `make browser`) draws the quarter's report over 300 demo cases to a PNG,
and dumps the DOM it built. The PNG must not be blank and must show the charts' colours; the
DOM must hold every heading, the tables and the three chart images.

Without Chromium the test is skipped with the reason, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from api.report_html import render_html
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from infrastructure.accountability_source import produce_report
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.demo import load_demo
from infrastructure.settings import Settings
from tests.command_line import TEST_MASTER_KEY

pytestmark = pytest.mark.e2e

END = datetime(2026, 10, 1, 16, 0, tzinfo=UTC)  # the demo's year ends as Q3 does
SEED = 2026
BROWSER_LIMIT_SECONDS = 120
HEADINGS = ("Accountability report", "Contents", "Summary",
            "Service standards: promised and kept", "Share met on time by month",
            "Volumes by channel", "Promises not kept on time, by department",
            "Promises breached", "Promises met late", "Complaints and escalations",
            "Transfers and first-contact resolution", "Customer satisfaction",
            "Staff effort and cost", "The record this report was computed from",
            "How the figures are computed")
CAPTIONS = ("Promises made and kept, by the department that owns the case (every "
            "standard, one by one, is in the JSON and CSV downloads)", "Standards by channel",
            "Cases by channel", "Departments",
            "Every promise breached (deadline passed, still unmet at the as-of moment), by case "
            "reference", "Every promise met late, by case reference",
            "Complaints by the highest escalation level they reached",
            "Complaints and the escalations they went through",
            "Debriefs of escalated complaints")
# Colours only the charts paint (the page's own style uses blues and greys): Okabe and Ito's
# colour-blind-safe vermilion, green, pink and orange (api/report_html.py). Which ones a report
# needs depends on its series and on whether anything was late or breached, so at least two of
# them must be painted: a page whose charts failed to draw paints none.
CHART_COLOURS = ((0xD5, 0x5E, 0x00), (0x00, 0x9E, 0x73), (0xCC, 0x79, 0xA7), (0xE6, 0x9F, 0x00))


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        reason = "Debian's chromium is not installed: run `make browser` (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must render the report in a browser: {reason}")
        pytest.skip(reason)
    return found


def run_browser(binary: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", *arguments],
        capture_output=True, text=True, timeout=BROWSER_LIMIT_SECONDS, check=False)


class Page(HTMLParser):
    """What the browser's DOM holds: headings, table captions, and the images."""

    TEXTS = {"h1": "headings", "h2": "headings", "caption": "captions"}

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.captions: list[str] = []
        self.images: list[dict[str, str]] = []
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.TEXTS:
            self._text = []
        elif tag == "img":
            self.images.append({k: v or "" for k, v in attrs})

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.TEXTS and self._text is not None:
            getattr(self, self.TEXTS[tag]).append("".join(self._text).strip())
            self._text = None


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The 2026-Q3 report over a demo year of 300 cases, as an HTML file."""
    folder = tmp_path_factory.mktemp("report")
    desk: ServiceDesk = build_desk(Settings(data_dir=folder, run_scheduler=False,
                                            master_key=TEST_MASTER_KEY), clock=lambda: END)
    try:
        seed_catalogue(desk)
        load_demo(desk, cases=300, seed=SEED, end=END)
        # Every share rated from one result on: a demo quarter has few results per standard
        # and month, and this test is about drawing the charts.
        report = produce_report(desk, Actor(id="clerk-1", role=Role.CLERK), period="2026-Q3",
                                min_sample=1)
    finally:
        desk.close()
    assert report.cases > 0 and report.breaches, "the demo quarter should have cases to show"
    path = folder / "accountability-2026-Q3.html"
    path.write_text(render_html(report), encoding="utf-8")
    yield path


class TestTheReportInABrowser:
    def test_chromium_paints_the_tables_and_charts(self, report_file: Path,
                                                   tmp_path: Path) -> None:
        # Given the quarter's HTML report and a headless Chromium
        binary = chromium()
        png = tmp_path / "report.png"
        # When Chromium draws it, 1280 pixels wide
        done = run_browser(binary, tmp_path / "profile", f"--screenshot={png}",
                           "--window-size=1280,24000", report_file.as_uri())
        # Then a screenshot was written, and it is neither blank nor missing the charts
        assert png.exists() and png.stat().st_size > 10_000, done.stderr[-2000:]
        from PIL import Image, ImageStat

        with Image.open(png) as image:
            pixels = image.convert("RGB")
            assert pixels.size == (1280, 24000)
            spread = ImageStat.Stat(pixels.convert("L")).stddev[0]
            assert spread > 20, f"the page looks blank (grey-level spread {spread:.1f})"
            colours = {colour for _, colour in pixels.getcolors(maxcolors=1 << 20) or []}
        painted = [bytes(wanted).hex() for wanted in CHART_COLOURS
                   if any(sum(abs(a - b) for a, b in zip(wanted, c, strict=True)) <= 12
                          for c in colours)]
        assert len(painted) >= 2, f"the charts painted only {painted}"

    def test_the_dom_holds_every_heading_table_and_chart(self, report_file: Path,
                                                         tmp_path: Path) -> None:
        # Given the report, when Chromium loads it and dumps the DOM it built
        binary = chromium()
        done = run_browser(binary, tmp_path / "profile", "--dump-dom", report_file.as_uri())
        assert done.returncode == 0, done.stderr[-2000:]
        page = Page()
        page.feed(done.stdout)
        # Then every heading is there, in order, with the tables and the chart images (a trend
        # chart per four standards, the channels, the breaches), each an SVG drawing with a
        # text alternative
        assert [h for h in page.headings if h in HEADINGS] == list(HEADINGS)
        assert set(CAPTIONS) <= set(page.captions)
        charts = [i for i in page.images if i["src"].startswith("data:image/svg+xml;base64,")]
        assert len(charts) >= 3
        for chart in charts:
            assert chart["alt"].startswith(("Line chart", "Bar chart"))
            drawing = ElementTree.fromstring(base64.b64decode(chart["src"].split(",", 1)[1]))
            assert drawing.tag == "{http://www.w3.org/2000/svg}svg"
            assert len(list(drawing.iter("{http://www.w3.org/2000/svg}path"))) > 10
