"""The accountability report as one self-contained, printable HTML page with matplotlib charts.

Nothing is fetched: the style sheet is inline and each chart is an SVG drawn by matplotlib
(Agg, no display) and embedded as a data: URI image with a text alternative; every figure a
chart shows is also in a table. Charts are drawn with a fixed SVG hash salt and no date, so the
same report gives the same page, byte for byte. Every value is HTML-escaped.
"""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Iterable, Sequence
from decimal import Decimal
from html import escape
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from api.report_formats import Cell, cell_text, local_time
from application.accountability import AccountabilityReport, BreachRow, Rated, Satisfaction

matplotlib.use("Agg")  # no display: figures are only ever written to files

# rcParams are process-wide: charts are drawn one at a time under this lock.
_DRAWING = threading.Lock()
CHART_STYLE: dict[Any, Any] = {"svg.hashsalt": "civicdesk-accountability", "font.size": 9,
               "axes.spines.top": False, "axes.spines.right": False}
# Okabe and Ito's colour-blind-safe colours; each series also gets its own marker and line
# style, shown in the legend, so the chart reads in greyscale too.
SERIES_STYLES = (("#0072B2", "o", "-"), ("#D55E00", "s", "--"), ("#009E73", "^", "-."),
                 ("#CC79A7", "D", ":"))
SERIES_PER_CHART = len(SERIES_STYLES)  # "a handful": more standards make more charts
LATE, BREACHED = "#E69F00", "#D55E00"
LABELS = {"cao": "CAO", "csat": "CSAT", "nps": "NPS", "ces": "CES",
          # the facts that meet targets (domain.targets.MET_BY), as a late entry names them
          "Acknowledged": "Acknowledgement", "InterimResponseSent": "Interim response",
          "OutboundContact": "Outbound contact", "Resolved": "Resolution"}

STYLE = """
:root { color-scheme: light; --ink: #1a1a1a; --muted: #555; --rule: #c8c8c8; --band: #f2f5f8; }
* { box-sizing: border-box; }
body { font: 11pt/1.45 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 72rem; padding: 1.5rem; }
header { border-bottom: 3px solid #1b5e9a; margin-bottom: 1rem; }
h1 { font-size: 1.8rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--rule);
     break-after: avoid; page-break-after: avoid; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; break-after: avoid; }
.meta { color: var(--muted); margin: .2rem 0 1rem; }
dl.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr));
             gap: .5rem 1rem; margin: 0; }
dl.figures div { border-left: 4px solid #1b5e9a; padding: .2rem .6rem; background: var(--band); }
dl.figures dt { font-size: .85rem; color: var(--muted); }
dl.figures dd { margin: 0; font-size: 1.2rem; font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-size: .9rem; }
caption { text-align: left; font-weight: bold; padding: .3rem 0; }
th, td { border: 1px solid var(--rule); padding: .25rem .4rem; text-align: left;
         vertical-align: top; }
th[scope=row], td.num, td.keep { white-space: nowrap; }
thead th { background: #e3e9ef; }
tbody tr:nth-child(even) { background: var(--band); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
figure img { width: 100%; max-width: 52rem; height: auto; display: block; }
figcaption { color: var(--muted); font-size: .9rem; }
code.hash { word-break: break-all; }
.note { color: var(--muted); font-size: .9rem; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 9.5pt; }
  table { font-size: 7.5pt; }
  td.keep { white-space: normal; }
  thead { display: table-header-group; }
  tr, dl.figures div { break-inside: avoid; page-break-inside: avoid; }
  figure img { max-width: 100%; }
}
"""

DEFINITIONS = (
    ("Period", "A case belongs to the period by the Toronto date it was received (a letter by "
               "its Received stamp)."),
    ("Department", "The department that owned the case at the report's as-of moment."),
    ("Met on time, met late, breached, still open", "Each promise's state as staff would have "
     "seen it at the as-of moment, on the business calendar then known."),
    ("Promises breached", "Promises whose deadline passed and that were still unmet at the "
     "as-of moment: the summary, the departments table and the breach table count the same "
     "ones. A promise met after its deadline is counted apart, as met late."),
    ("Share met on time", "Met on time divided by promises with an outcome (met on time, met "
     "late or breached); promises not yet due are left out."),
    ("Hours late", "Business hours (Monday to Friday, 08:30 to 16:30, less holidays and "
     "closures) for business-time standards; clock time for wait-time standards, where it is "
     "how much the measured wait exceeded the promise."),
    ("Transfers of these cases", "Every transfer of the cases reported, whichever department "
     "made it; warm share and the share where the customer was told are of those transfers; "
     "per case is divided by the cases reported. (A department's scorecard publishes another "
     "figure, transfers made, counting the transfers that department made.)"),
    ("First-contact resolution", "Resolved or closed cases resolved at first contact, as a "
     "share of all resolved or closed cases."),
    ("CSAT, NPS, CES", "CSAT is the average of 1-5 answers; NPS is the share of promoters (9-10) "
     "minus the share of detractors (0-6) among 0-10 answers; CES is the average of 1-7 "
     "answers (lower is easier)."),
    ("Staff effort and cost", "Minutes of staff effort logged on the cases, costed at the "
     "hourly rate of the department that owns each case, as that rate stood at the as-of "
     "moment."),
    ("Reproducibility", "The report replays only events recorded at or before the as-of "
     "moment, all at or before the chain head position shown; the same period, department and "
     "as-of moment give the same report, however much is recorded later."),
)


# -- charts --------------------------------------------------------------------------------------

def _svg_image(figure: Figure, alt: str) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{escape(alt)}">'


def human(code: str) -> str:
    """A code as a reader says it: `in_person` -> "In person", `cao` -> "CAO"."""
    if code in LABELS:
        return LABELS[code]
    text = code.replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]



def _empty(figure: Figure, message: str) -> None:
    axes = figure.subplots()
    axes.set_axis_off()
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes)


def trend_series(report: AccountabilityReport) -> dict[str, list[float | None]]:
    """Share met on time per standard and month, for standards with any outcome."""
    months = report.period.months()
    series: dict[str, list[float | None]] = {}
    for row in report.standards_by_month:
        series.setdefault(row.code, [None] * len(months))[months.index(row.month)] = (
            float(row.share_met.value) if row.share_met.value is not None else None)
    return {code: values for code, values in sorted(series.items())
            if any(v is not None for v in values)}


def chart_groups(codes: Sequence[str]) -> list[list[str]]:
    """Series split into charts of at most SERIES_PER_CHART, in order (at least one chart)."""
    groups = [list(codes[i:i + SERIES_PER_CHART])
              for i in range(0, len(codes), SERIES_PER_CHART)]
    return groups or [[]]


def trend_chart(report: AccountabilityReport, codes: Sequence[str],
                series: dict[str, list[float | None]]) -> str:
    months = report.period.months()
    figure = Figure(figsize=(7.5, 4.2))
    if not codes:
        _empty(figure, "No promise had an outcome in this period")
    else:
        axes = figure.subplots()
        positions = list(range(len(months)))
        for code, (colour, marker, dashes) in zip(codes, SERIES_STYLES, strict=False):
            points = [(x, v) for x, v in zip(positions, series[code], strict=True)
                      if v is not None]
            axes.plot([x for x, _ in points], [v for _, v in points], marker=marker,
                      linestyle=dashes, color=colour, label=human(code), linewidth=1.8,
                      markersize=6)
        axes.set_xticks(positions, months, rotation=45 if len(months) > 6 else 0)
        axes.set_xlim(-0.5, len(months) - 0.5)
        axes.set_ylim(0, 102)
        axes.set_ylabel("met on time (%)")
        axes.set_xlabel("month received")
        axes.grid(axis="y", color="#dddddd")
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=9)
    summary = "; ".join(f"{human(code)}: " + ", ".join(
        f"{m} {v:.1f}%" for m, v in zip(months, series[code], strict=True) if v is not None)
        for code in codes)
    return _svg_image(figure, "Line chart of the share of promises met on time per standard, "
                      f"by month received. {summary or 'No data.'}")


def channel_chart(report: AccountabilityReport) -> str:
    rows = [r for r in report.channels if r.cases]
    figure = Figure(figsize=(8, 3.6))
    if not rows:
        _empty(figure, "No cases in this period")
    else:
        axes = figure.subplots()
        names = [human(r.channel) for r in rows][::-1]
        counts = [r.cases for r in rows][::-1]
        bars = axes.barh(names, counts, color=SERIES_STYLES[0][0])
        axes.bar_label(bars, labels=[f"{n:,}" for n in counts], padding=3)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("cases received")
        axes.grid(axis="x", color="#dddddd")
        axes.set_axisbelow(True)
    text = ", ".join(f"{human(r.channel)} {r.cases:,}" for r in rows)
    return _svg_image(figure, f"Bar chart of cases by channel: {text or 'none'}.")


def breach_chart(report: AccountabilityReport) -> str:
    late: dict[str, int] = {}
    open_breaches: dict[str, int] = {}
    for breach in report.breaches:
        counter = late if breach.state == "met_late" else open_breaches
        counter[breach.department] = counter.get(breach.department, 0) + 1
    names = {d.code: d.name for d in report.departments}
    codes = [d.code for d in report.departments]
    figure = Figure(figsize=(8, max(2.4, 0.45 * len(codes) + 1.2)))
    if not codes:
        _empty(figure, "No departments")
    else:
        axes = figure.subplots()
        labels = [names[c] for c in codes][::-1]
        met_late = [late.get(c, 0) for c in codes][::-1]
        unmet = [open_breaches.get(c, 0) for c in codes][::-1]
        # Solid for breached, hatched for met late: the two read apart without colour.
        axes.barh(labels, unmet, color=BREACHED, edgecolor="#1a1a1a",
                  label="breached (still unmet)")
        bars = axes.barh(labels, met_late, left=unmet, color=LATE, hatch="///",
                         edgecolor="#1a1a1a", label="met late")
        axes.bar_label(bars, labels=[f"{a:,} breached, {b:,} met late"
                                     for a, b in zip(unmet, met_late, strict=True)],
                       padding=3, fontsize=8)
        axes.set_xlabel("promises not kept on time")
        axes.grid(axis="x", color="#dddddd")
        axes.set_axisbelow(True)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, frameon=False)
    text = ", ".join(f"{names[c]} {open_breaches.get(c, 0):,} breached and "
                     f"{late.get(c, 0):,} met late" for c in codes)
    return _svg_image(figure, f"Bar chart of promises not kept on time by department: {text}.")


def charts(report: AccountabilityReport) -> tuple[list[str], str, str]:
    """The trend charts (a handful of standards each), the channel chart, the breach chart."""
    with _DRAWING, matplotlib.rc_context(CHART_STYLE):
        series = trend_series(report)
        trends = [trend_chart(report, group, series) for group in chart_groups(list(series))]
        return trends, channel_chart(report), breach_chart(report)


# -- the page ------------------------------------------------------------------------------------

def number_text(value: Cell) -> str:
    """A cell as a reader sees it: counts and money with thousands separators; a share or
    average from too few results as "too few to rate" with its count."""
    if isinstance(value, Rated):
        if value.rated:
            return number_text(value.value)
        return f"too few to rate ({value.count:,})" if value.count else ""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, Decimal):
        return f"{value:,}"
    return cell_text(value)


def _cell(value: Cell) -> str:
    text = number_text(value)
    return escape(text) if text else "—"


def html_table(caption: str, header: Sequence[str], rows: Iterable[Sequence[Cell]],
               numeric: Iterable[int] = (), keep: Iterable[int] = ()) -> str:
    """A captioned table; the first column heads each row. `numeric` columns align right,
    `keep` columns (dates, times) do not wrap."""
    right, whole = set(numeric), set(keep)

    def kind(i: int) -> str:
        return ' class="num"' if i in right else ' class="keep"' if i in whole else ""

    head = "".join(f'<th scope="col"{kind(i)}>{escape(h)}</th>' for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(
            (f'<th scope="row">{_cell(v)}</th>' if i == 0 else f"<td{kind(i)}>{_cell(v)}</td>")
            for i, v in enumerate(row)) + "</tr>" for row in rows)
    if not body:
        body = f'<tr><td colspan="{len(header)}">None.</td></tr>'
    return (f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def how_late(breach: BreachRow) -> str:
    """Business hours for business-time promises; minutes and seconds for waits."""
    if breach.basis == "business":
        return f"{breach.hours_late} business h"
    if breach.seconds_late >= 3600:
        return f"{breach.hours_late} h"
    minutes, seconds = divmod(breach.seconds_late, 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def month_table(report: AccountabilityReport) -> str:
    """Standards down, months across: share met on time (and how many had an outcome)."""
    months = report.period.months()
    cells: dict[str, list[Cell]] = {}
    for row in report.standards_by_month:
        cells.setdefault(row.code, [None] * len(months))[months.index(row.month)] = (
            f"{row.share_met.value}% of {row.decided}" if row.share_met.rated
            else f"too few to rate ({row.decided})" if row.decided else None)
    return html_table("Share of promises met on time (of those with an outcome), by month "
                      "received", ("Standard", *months),
                      [(code, *values) for code, values in sorted(cells.items())],
                      numeric=range(1, len(months) + 1))


GOAL_LABELS = {"share_met": "Share of promises met on time",
               "first_contact_rate": "First-contact resolution", "csat_average": "CSAT (1-5)",
               "nps": "NPS", "ces_average": "CES (1-7)"}
PERCENT_METRICS = frozenset({"share_met", "first_contact_rate"})


def _goal_figure(metric: str, figure: Rated) -> Cell:
    return _pct(figure) if metric in PERCENT_METRICS else figure


def goal_tables(report: AccountabilityReport) -> str:
    """Each goal beside the figure, then the goal metrics month by month (the trend)."""
    goals = html_table(
        f"Goals in force at the as-of moment (version {report.goals_version})"
        if report.goals_version else "Goals: none set yet",
        ("Metric", "Goal", "Figure", "Goal met?"),
        [(GOAL_LABELS.get(g.metric, human(g.metric)),
          f"{'at least' if g.direction == 'at_least' else 'at most'} {g.goal}"
          f"{'%' if g.metric in PERCENT_METRICS else ''}"
          f"{'' if g.set_for is None else f' ({g.set_for})'}",
          _goal_figure(g.metric, g.figure),
          "not rated" if g.met is None else "yes" if g.met else "no")
         for g in report.goals], numeric=[2])
    months = report.period.months()
    cells: dict[str, list[Cell]] = {}
    for row in report.goal_trend:
        cells.setdefault(row.metric, [None] * len(months))[months.index(row.month)] = (
            _goal_figure(row.metric, row.figure))
    trend = html_table("The goal metrics by month received (the trend)", ("Metric", *months),
                       [(GOAL_LABELS.get(metric, human(metric)), *values)
                        for metric, values in cells.items()],
                       numeric=range(1, len(months) + 1))
    return goals + trend


def source_table(s: Satisfaction) -> str:
    """The customers' own answers (by their survey link) beside those staff typed in."""
    c, t = s.customer_given, s.staff_entered
    rows: list[tuple[Cell, Cell, Cell]] = [
        ("CSAT average (1-5)", c.csat_average, t.csat_average),
        ("CSAT responses", c.csat_responses, t.csat_responses),
        ("NPS", c.nps, t.nps), ("NPS responses", c.nps_responses, t.nps_responses),
        ("CES average (1-7)", c.ces_average, t.ces_average),
        ("CES responses", c.ces_responses, t.ces_responses),
        ("Cases with a link answered", c.cases_answered, t.cases_answered),
        ("Response rate (of cases given a link)", _pct(c.response_rate),
         _pct(t.response_rate))]
    return html_table("Answers given by customers through their survey link, and answers "
                      "entered by staff, apart", ("Figure", "Customer-given", "Staff-entered"),
                      rows, numeric=[1, 2])


def _figures(items: Iterable[tuple[str, Cell]]) -> str:
    return '<dl class="figures">' + "".join(
        f"<div><dt>{escape(name)}</dt><dd>{_cell(value)}</dd></div>"
        for name, value in items) + "</dl>"


def _pct(value: Cell) -> Cell:
    if isinstance(value, Rated) and not value.rated:
        return value
    if isinstance(value, Rated):
        value = value.value
    return None if value is None else f"{number_text(value)}%"


def _section(anchor: str, title: str, *parts: str) -> str:
    return (f'<section aria-labelledby="{anchor}"><h2 id="{anchor}">{escape(title)}</h2>'
            + "".join(parts) + "</section>")


def _figure(image: str, caption: str) -> str:
    return f"<figure>{image}<figcaption>{escape(caption)}</figcaption></figure>"


SECTIONS = (("summary", "Summary"), ("standards", "Service standards: promised and kept"),
            ("trend-table", "Share met on time by month"), ("channels", "Volumes by channel"),
            ("departments", "Promises not kept on time, by department"),
            ("breaches", "Promises breached"), ("met-late", "Promises met late"),
            ("late-entries", "Facts entered after a deadline was recorded missed"),
            ("complaints", "Complaints and escalations"),
            ("transfers", "Transfers and first-contact resolution"),
            ("satisfaction", "Customer satisfaction"), ("goals", "Goals and the trend"),
            ("accessibility", "Accessibility accommodations"),
            ("effort", "Staff effort and cost"),
            ("record", "The record this report was computed from"),
            ("method", "How the figures are computed"))


def contents(sections: Sequence[tuple[str, str]]) -> str:
    """The table of contents: a link to each section."""
    return ('<nav aria-labelledby="contents"><h2 id="contents">Contents</h2><ol>'
            + "".join(f'<li><a href="#{anchor}">{escape(title)}</a></li>'
                      for anchor, title in sections) + "</ol></nav>")


OUTCOME_COLUMNS = ("Applied to", "Met on time", "Met late", "Breached", "Still open",
                   "Share met on time", "Wait not measured")


def render_html(report: AccountabilityReport) -> str:
    trends, volumes, breaches = charts(report)
    scope = (f"{report.department_name or report.department} ({report.department})"
             if report.department else "All departments")
    period = report.period
    s, t, f, e = (report.satisfaction, report.transfers_of_cases, report.first_contact,
                  report.effort)
    # One row per department, not per standard (a town publishes a hundred service
    # standards): the per-standard rows are in the JSON and in standards.csv.
    standards = html_table(
        "Promises made and kept, by the department that owns the case (every standard, one "
        "by one, is in the JSON and CSV downloads)",
        ("Department", "Standards", *OUTCOME_COLUMNS),
        [(f"{r.name} ({r.department})", r.standards, o.applied, o.met, o.met_late, o.breached,
          o.open, _pct(o.share_met), o.not_measured)
         for r in report.standards_by_department for o in [r.outcomes]],
        numeric=range(1, 9))
    per_channel = html_table(
        "Standards by channel", ("Standard", "Channel", *OUTCOME_COLUMNS),
        [(r.code, human(r.channel), o.applied, o.met, o.met_late, o.breached, o.open,
          _pct(o.share_met), o.not_measured)
         for r in report.standards_by_channel for o in [r.outcomes]],
        numeric=range(2, 9))
    breached = [b for b in report.breaches if b.state == "breached"]
    met_late = [b for b in report.breaches if b.state == "met_late"]
    breach_rows = html_table(
        "Every promise breached (deadline passed, still unmet at the as-of moment), by case "
        "reference", ("Reference", "Department", "Channel", "Standard", "Due (Toronto)",
                      "How late so far"),
        [(b.reference, b.department, human(b.channel), b.standard_code, local_time(b.due_at),
          how_late(b)) for b in breached], numeric=[5], keep=[4])
    late_rows = html_table(
        "Every promise met late, by case reference",
        ("Reference", "Department", "Channel", "Standard", "Due (Toronto)", "Met (Toronto)",
         "How late"),
        [(b.reference, b.department, human(b.channel), b.standard_code, local_time(b.due_at),
          local_time(b.met_at) if b.met_at else None, how_late(b)) for b in met_late],
        numeric=[6], keep=[4, 5])
    late_entry_rows = html_table(
        "Every fact that happened before a deadline but was entered after the scheduler had "
        "recorded it missed (the promise counts as met on time), by department",
        ("Department", "Reference", "Fact", "Targets", "Happened (Toronto)",
         "Deadline recorded missed (Toronto)", "Entered (Toronto)", "Entered while owned by",
         "Why entered late"),
        [(r.department, r.reference, human(r.fact), r.targets, local_time(r.occurred_at),
          local_time(r.missed_due_at), local_time(r.recorded_at), r.entered_by_department,
          r.reason) for r in report.late_entries], keep=[4, 5, 6])
    complaint_rows = html_table(
        "Complaints and the escalations they went through",
        ("Reference", "Department", "Channel", "Received", "Status", "Level reached",
         "Escalations"),
        [(c.reference, c.department, human(c.channel), c.received_on, human(c.status),
          human(c.level_reached),
          "; ".join(f"{human(x.to_level)} on {x.on.isoformat()}" for x in c.escalations))
         for c in report.complaints], keep=[3])
    debrief_rows = html_table(
        "Debriefs of escalated complaints",
        ("Reference", "Debriefed", "Cause", "Actions", "EDI findings", "Accessibility findings"),
        [(c.reference, c.debrief.on, c.debrief.cause, c.debrief.actions,
          c.debrief.edi_findings, c.debrief.accessibility_findings)
         for c in report.complaints if c.debrief], keep=[1])
    departments = html_table(
        "Departments", ("Code", "Department", "Cases", "Promises breached", "Promises met late",
                        "Cases transferred", "Effort (hours)", "Hourly rate ($)",
                        "Effort cost ($)"),
        [(d.code, d.name, d.cases, d.breaches, d.met_late, d.transferred_cases, d.effort_hours,
          d.hourly_rate, d.effort_cost) for d in report.departments], numeric=range(2, 9))
    body = "".join([
        "<header><h1>Accountability report</h1>",
        f'<p class="meta">{escape(report.town)} · Period {escape(period.label)} '
        f"({period.first_day.isoformat()} to {period.last_day.isoformat()}) · "
        f"{escape(scope)} · As of {escape(local_time(report.as_of))} Toronto time</p></header>",
        contents(SECTIONS), "<main>",
        _section("summary", "Summary", _figures([
            ("Cases received", report.cases),
            ("Promises breached", len(breached)),
            ("Promises met late", len(met_late)),
            ("Facts entered after a recorded miss", len(report.late_entries)),
            ("Complaints", len(report.complaints)),
            ("First-contact resolution", _pct(f.rate)),
            ("Warm share of transfers of these cases", _pct(t.warm_share)),
            ("CSAT (1-5)", s.csat_average), ("NPS", s.nps), ("CES (1-7)", s.ces_average),
            ("Staff effort (hours)", e.hours), ("Staff cost ($)", e.cost),
            ("Standards version", report.standards_version),
            ("Chain head position", report.chain.head_position)])),
        _section("standards", "Service standards: promised and kept", standards,
                 "<h3>By channel</h3>", per_channel,
                 *(_figure(trend, "Share of promises met on time per standard, by month the "
                                  "case was received (the next table has the figures).")
                   for trend in trends)),
        _section("trend-table", "Share met on time by month", month_table(report)),
        _section("channels", "Volumes by channel",
                 _figure(volumes, "Cases received in the period, by channel."),
                 html_table("Cases by channel", ("Channel", "Cases", "Share"),
                            [(human(c.channel), c.cases, _pct(c.share))
                             for c in report.channels],
                            numeric=[1, 2])),
        _section("departments", "Promises not kept on time, by department",
                 _figure(breaches, "Promises breached and met late, by the department that "
                                   "owns the case."),
                 departments),
        _section("breaches", "Promises breached", breach_rows),
        _section("met-late", "Promises met late", late_rows),
        _section("late-entries", "Facts entered after a deadline was recorded missed",
                 late_entry_rows),
        _section("complaints", "Complaints and escalations",
                 html_table("Complaints by the highest escalation level they reached",
                            ("Level", "Complaints reaching it"),
                            [(human(r.level), r.complaints) for r in report.complaint_levels],
                            numeric=[1]), complaint_rows, debrief_rows),
        _section("transfers", "Transfers and first-contact resolution", _figures([
            ("Transfers of these cases", t.transfers), ("Warm", t.warm), ("Cold", t.cold),
            ("Warm share of transfers of these cases", _pct(t.warm_share)),
            ("Customer told of the transfer", t.customer_informed),
            ("Share of transfers where the customer was told", _pct(t.informed_share)),
            ("Cases transferred", t.cases_transferred),
            ("Transfers of these cases per case", t.per_case),
            ("Resolved cases", f.resolved), ("Resolved at first contact", f.at_first_contact),
            ("First-contact resolution rate", _pct(f.rate))])),
        _section("satisfaction", "Customer satisfaction", _figures([
            ("CSAT average (1-5)", s.csat_average), ("CSAT responses", s.csat_responses),
            ("NPS", s.nps), ("NPS responses", s.nps_responses), ("Promoters", s.promoters),
            ("Passives", s.passives), ("Detractors", s.detractors),
            ("CES average (1-7)", s.ces_average), ("CES responses", s.ces_responses),
            ("Cases given a survey link", s.survey_links)]), source_table(s)),
        _section("goals", "Goals and the trend", goal_tables(report)),
        *((_section("accessibility", "Accessibility accommodations", _figures([
            ("Accommodations requested", a.requested), ("Provided", a.provided),
            ("Could not be made at the time (customer told, alternative offered)",
             a.not_made),
            ("Still open", a.open)])),) if (a := report.accommodations) else ()),
        _section("effort", "Staff effort and cost", _figures([
            ("Interactions", e.interactions), ("Minutes", e.minutes), ("Hours", e.hours),
            ("Cost ($)", e.cost)])),
        _section("record", "The record this report was computed from",
                 f"<p>Computed from the event log up to position "
                 f"<strong>{report.chain.head_position}</strong>, whose hash-chain link is "
                 f'<code class="hash">{escape(report.chain.head_hash)}</code>. Anyone with an '
                 "export of the log can recompute the chain to that position and produce this "
                 "report again, identical.</p>" + _anchor(report)),
        _section("method", "How the figures are computed",
                 "<dl>" + "".join(f"<dt>{escape(term)}</dt><dd>{escape(meaning)}</dd>"
                                  for term, meaning in DEFINITIONS) + "</dl>"),
        "</main>",
    ])
    title = f"Accountability report, {report.town}, {period.label}"
    return ("<!DOCTYPE html>\n"
            f'<html lang="en-CA"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            # In the page itself, so a report saved to a file keeps its policy: inline style
            # and the charts' data: images, nothing fetched, nothing run.
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            'style-src \'unsafe-inline\'; img-src data:">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
            f"<body>{body}</body></html>\n")


def _anchor(report: AccountabilityReport) -> str:
    if report.checkpoint is None:
        return ("<p><strong>Provisional.</strong> No checkpoint signed after this report's "
                "moment holds the log yet, so a commit made at that moment could still be "
                "missing; produce the report again once one is signed (within a minute while "
                "the log grows).</p>")
    return ("<p><strong>Final.</strong> The signed checkpoint below holds an event committed "
            "after this report's moment, so nothing committed before it can still appear. "
            "Check this report against the log with <code>civicdesk verify --report</code> "
            "and the report's JSON form.</p>"
            f'<pre class="hash">{escape(report.checkpoint)}</pre>')
