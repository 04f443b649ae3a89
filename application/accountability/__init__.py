"""The clerk's accountability report: what the Town promised and kept, per period and department.

The report is computed from the event log itself, not from a projection, because it must be
reproducible as of any moment: `build_report` replays the events recorded (`event.timestamp`) at
or before `as_of`, which all lie at or before a fixed head position (the last of them), and names
that position and the chain link stored there. The same period, department and `as_of` therefore
give the same report, byte for byte, however much is recorded afterwards, and anyone holding an
export of the log can recompute the link to show the report matches the record. (An aggregate's
history is taken up to its first event recorded after `as_of`, should a clock ever step back.)
The catalogue (department names and rates), the standards in force and the business calendar are
replayed from the same events, so they too are as they stood at `as_of`.

Choices, and why:
- A case belongs to the period by the Toronto date it was received (a letter by its Received
  stamp), and to the department that owns it at `as_of`: the report answers for each case where
  it ended up, and its effort is costed at that department's hourly rate as it stood at `as_of`.
- A target's state is the SLA state staff would have seen at `as_of` (`domain.targets.status`,
  on the business calendar as then known): met, met late, breached, or still open.
- The share met is met on time / (met on time + met late + breached): an open target that is not
  yet due has no outcome to count.
- Hours late are business hours for business-time standards, clock hours for the others; a
  wait-time promise is as late as the measured wait exceeded it.
- A target is met on time when the fact meeting it happened by its due time, even if that fact
  was entered after the scheduler recorded the deadline missed; such late entries are listed
  (`late_entries`), per department, with why each was entered late.
- First-contact resolution is the share of resolved (or closed) cases resolved at first contact.
- NPS is promoters (9-10) minus detractors (0-6), as a percentage of NPS answers.
- Nothing personal is reported: no names, contact details, subjects, descriptions, survey
  comments, escalation reasons or staff ids; references, channels and debrief findings only.
Figures are Decimals rounded half up (percentages to 0.1, averages and hours to 0.01, money to
the cent), and every list has a fixed order, so the rendered report is deterministic.

The modules, in the order a report is made: `request` (who may ask, and for what), `replay`
(the log up to `as_of`), `standards`, `volumes`, `complaints` and `experience` (the figures),
`report` (the whole, and `build_report`); `arithmetic` rounds them all.
"""

from application.accountability.arithmetic import (
    CENT,
    MIN_SAMPLE,
    TOWN_TIME,
    Rated,
    average,
    dollars,
    hours,
    local_day,
    percent,
    rated,
)
from application.accountability.complaints import ComplaintRow, Debrief, EscalationStep, LevelRow
from application.accountability.experience import FirstContact, Satisfaction, Transfers
from application.accountability.late_entries import LateEntryRow
from application.accountability.report import AccountabilityReport, Chain, build_report
from application.accountability.request import (
    Period,
    ReportRequest,
    check_may_report,
    parse_moment,
    parse_period,
)
from application.accountability.standards import (
    BreachRow,
    Outcomes,
    StandardChannelRow,
    StandardDepartmentRow,
    StandardMonthRow,
    StandardRow,
    outcomes,
)
from application.accountability.volumes import ChannelRow, DepartmentRow, Effort

__all__ = [
    "CENT",
    "MIN_SAMPLE",
    "TOWN_TIME",
    "AccountabilityReport",
    "BreachRow",
    "Chain",
    "ChannelRow",
    "ComplaintRow",
    "Debrief",
    "DepartmentRow",
    "Effort",
    "EscalationStep",
    "FirstContact",
    "LateEntryRow",
    "LevelRow",
    "Outcomes",
    "Period",
    "Rated",
    "ReportRequest",
    "Satisfaction",
    "StandardChannelRow",
    "StandardDepartmentRow",
    "StandardMonthRow",
    "StandardRow",
    "Transfers",
    "average",
    "build_report",
    "check_may_report",
    "dollars",
    "hours",
    "local_day",
    "outcomes",
    "parse_moment",
    "parse_period",
    "percent",
    "rated",
]
