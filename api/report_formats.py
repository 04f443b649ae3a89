"""The accountability report as published files: JSON, and CSV tables in a zip.

Every format is a pure function of the report, so the same report gives the same bytes: JSON
keeps the report's field order, CSV rows follow the report's order, and the zip's entries carry
the report's `as_of` as their date (never the time they were written).
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import msgspec

from application.accountability import TOWN_TIME, AccountabilityReport, Outcomes, Rated

Cell = str | int | Decimal | date | datetime | bool | Rated | None
OUTCOME_HEADER = ("applied", "met_on_time", "met_late", "breached", "still_open",
                  "share_met_on_time_percent", "not_measured")


@dataclass(frozen=True)
class Table:
    name: str  # the CSV file's name, without .csv
    title: str
    header: tuple[str, ...]
    rows: list[tuple[Cell, ...]]


def to_json(report: AccountabilityReport) -> bytes:
    """Figures are exact decimal strings as rounded ("55.00", "-19.4"), as the OpenAPI schema
    documents Decimal; never binary floats."""
    return msgspec.json.format(msgspec.json.encode(report), indent=2) + b"\n"


def _outcomes(o: Outcomes) -> tuple[Cell, ...]:
    return (o.applied, o.met, o.met_late, o.breached, o.open, o.share_met, o.not_measured)


def tables(report: AccountabilityReport) -> list[Table]:
    """The report as flat tables, in the order a reader meets them."""
    s, t, f, e = (report.satisfaction, report.transfers_of_cases, report.first_contact,
                  report.effort)
    summary: list[tuple[Cell, ...]] = [
        ("town", report.town), ("period", report.period.label),
        ("first_day", report.period.first_day), ("last_day", report.period.last_day),
        ("department", report.department or "all"), ("as_of", report.as_of),
        ("standards_version", report.standards_version),
        ("min_sample", report.min_sample), ("cases", report.cases),
        ("late_entries", len(report.late_entries)),
        ("transfers_of_cases", t.transfers), ("transfers_of_cases_warm", t.warm),
        ("transfers_of_cases_cold", t.cold),
        ("transfers_of_cases_warm_share_percent", t.warm_share),
        ("transfers_of_cases_customer_informed", t.customer_informed),
        ("transfers_of_cases_informed_share_percent", t.informed_share),
        ("cases_transferred", t.cases_transferred), ("transfers_of_cases_per_case", t.per_case),
        ("resolved_cases", f.resolved), ("resolved_at_first_contact", f.at_first_contact),
        ("first_contact_resolution_percent", f.rate),
        ("csat_responses", s.csat_responses), ("csat_average", s.csat_average),
        ("nps_responses", s.nps_responses), ("nps_promoters", s.promoters),
        ("nps_passives", s.passives), ("nps_detractors", s.detractors), ("nps", s.nps),
        ("ces_responses", s.ces_responses), ("ces_average", s.ces_average),
        ("survey_links", s.survey_links),
        *((f"{name}_{figure}", value) for name, source in (
            ("customer_given", s.customer_given), ("staff_entered", s.staff_entered))
          for figure, value in (
              ("csat_responses", source.csat_responses), ("csat_average", source.csat_average),
              ("nps_responses", source.nps_responses), ("nps", source.nps),
              ("ces_responses", source.ces_responses), ("ces_average", source.ces_average),
              ("cases_answered", source.cases_answered),
              ("response_rate_percent", source.response_rate))),
        ("interactions", e.interactions), ("effort_minutes", e.minutes),
        ("effort_hours", e.hours), ("effort_cost_dollars", e.cost),
        *((("accommodations_requested", a.requested), ("accommodations_provided", a.provided),
           ("accommodations_not_made_alternative_offered", a.not_made),
           ("accommodations_open", a.open)) if (a := report.accommodations) else ()),
        ("chain_head_position", report.chain.head_position),
        ("chain_head_hash", report.chain.head_hash),
        ("checkpoint", report.checkpoint),
    ]
    return [
        Table("summary", "Summary", ("figure", "value"), summary),
        Table("standards", "Service standards", ("code", "title", "in_force", *OUTCOME_HEADER),
              [(r.code, r.title, r.in_force, *_outcomes(r.outcomes))
               for r in report.standards]),
        Table("standards_by_department", "Service standards by department owning the cases",
              ("department", "name", "standards", *OUTCOME_HEADER),
              [(r.department, r.name, r.standards, *_outcomes(r.outcomes))
               for r in report.standards_by_department]),
        Table("standards_by_channel", "Service standards by channel",
              ("code", "channel", *OUTCOME_HEADER),
              [(r.code, r.channel, *_outcomes(r.outcomes)) for r in report.standards_by_channel]),
        Table("standards_by_month", "Share met on time by month received",
              ("code", "month", "decided", "met_on_time", "share_met_on_time_percent"),
              [(r.code, r.month, r.decided, r.met, r.share_met)
               for r in report.standards_by_month]),
        Table("breaches", "Promises not kept on time: breached (still unmet) or met late",
              ("reference", "department", "channel", "standard_code", "target", "state",
               "due_at", "met_at", "basis", "seconds_late", "hours_late"),
              [(b.reference, b.department, b.channel, b.standard_code, b.target, b.state,
                b.due_at, b.met_at, b.basis, b.seconds_late, b.hours_late)
               for b in report.breaches]),
        Table("late_entries", "Facts entered after the scheduler recorded a deadline missed, "
              "that happened before it (met on time), by department",
              ("department", "reference", "fact", "targets", "occurred_at", "missed_due_at",
               "recorded_at", "entered_by_department", "reason"),
              [(r.department, r.reference, r.fact, r.targets, r.occurred_at, r.missed_due_at,
                r.recorded_at, r.entered_by_department, r.reason)
               for r in report.late_entries]),
        Table("channels", "Volumes by channel", ("channel", "cases", "share_percent"),
              [(c.channel, c.cases, c.share) for c in report.channels]),
        Table("departments", "Departments",
              ("code", "name", "cases", "breached", "met_late", "cases_transferred",
               "effort_minutes", "effort_hours", "hourly_rate_dollars", "effort_cost_dollars"),
              [(d.code, d.name, d.cases, d.breaches, d.met_late, d.transferred_cases,
                d.effort_minutes,
                d.effort_hours, d.hourly_rate, d.effort_cost) for d in report.departments]),
        Table("complaints", "Complaints",
              ("reference", "department", "channel", "received_on", "status", "level_reached",
               "escalations", "debriefed_on", "debrief_cause", "debrief_actions",
               "edi_findings", "accessibility_findings"),
              [(c.reference, c.department, c.channel, c.received_on, c.status, c.level_reached,
                "; ".join(f"{x.from_level} to {x.to_level} on {x.on.isoformat()}"
                          for x in c.escalations),
                *((c.debrief.on, c.debrief.cause, c.debrief.actions, c.debrief.edi_findings,
                   c.debrief.accessibility_findings) if c.debrief else (None,) * 5))
               for c in report.complaints]),
        Table("complaint_levels", "Complaints by escalation level reached",
              ("level", "complaints_reaching_it"),
              [(r.level, r.complaints) for r in report.complaint_levels]),
        Table("goals", "Goals in force at as_of beside the figures",
              ("metric", "goal", "direction", "set_for", "figure", "goal_met", "goals_version"),
              [(g.metric, g.goal, g.direction, g.set_for or "town", g.figure,
                None if g.met is None else g.met, report.goals_version)
               for g in report.goals]),
        Table("goal_trend", "The goal metrics by month received",
              ("metric", "month", "figure"),
              [(r.metric, r.month, r.figure) for r in report.goal_trend]),
    ]


def cell_text(value: Cell) -> str:
    """A cell as CSV writes it; a share or average that is not rated says why (with its
    count), so it never reads as an empty figure or a 0."""
    if isinstance(value, Rated):
        return cell_text(value.value) if value.rated else (value.reason or "")
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def local_time(moment: datetime) -> str:
    """A moment as the Town reads it: Toronto wall-clock time, to the minute."""
    return moment.astimezone(TOWN_TIME).strftime("%Y-%m-%d %H:%M")


def to_csv_zip(report: AccountabilityReport) -> bytes:
    stamp = report.as_of.astimezone(TOWN_TIME)
    when = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute,
            stamp.second - stamp.second % 2)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in tables(report):
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow(table.header)
            writer.writerows([cell_text(c) for c in row] for row in table.rows)
            entry = zipfile.ZipInfo(f"{table.name}.csv", date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, text.getvalue().encode("utf-8"))
    return buffer.getvalue()


def file_name(report: AccountabilityReport, extension: str) -> str:
    scope = report.department or "all-departments"
    label = report.period.label.replace("..", "_to_")
    return f"accountability-{label}-{scope}.{extension}"
