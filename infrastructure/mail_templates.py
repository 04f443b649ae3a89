"""The words of each message the desk emails customers, in English and French, as plain text
and HTML. A message names the case by its reference only: no name, address or description of
the matter (whoever reads the mailbox learns no more than the status page shows)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from domain.notices import APPOINTMENT_NOTICES, Language, Notice

TORONTO = ZoneInfo("America/Toronto")


@dataclass(frozen=True)
class Promise:
    kind: str  # the target's kind: interim_response, respond or resolve
    due_at: datetime


@dataclass(frozen=True)
class Appointment:
    """An appointment as its confirmation gives it: its times, shown in the desk's zone."""

    starts_at: datetime
    ends_at: datetime
    timezone: str  # the desk's (IANA name)
    desk: str  # the desk's name
    mode: str  # in_person or virtual
    meeting_link: str | None = None
    previous_starts_at: datetime | None = None  # the time it was moved from


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


PROMISE_WORDS = {
    Language.ENGLISH: {"interim_response": "An update from us by",
                       "respond": "A response by", "resolve": "Resolved by"},
    Language.FRENCH: {"interim_response": "Un suivi de notre part d'ici le",
                      "respond": "Une réponse d'ici le", "resolve": "Résolu d'ici le"},
}
FRENCH_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
FRENCH_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                 "septembre", "octobre", "novembre", "décembre")
# Each notice's words; `{reference}`, `{department}` and `{resolved_on}` are filled in.
ENGLISH: dict[Notice, dict[str, str]] = {
    Notice.ACKNOWLEDGEMENT: {
        "subject": "We received your request {reference}",
        "opening": "Thank you for contacting the Town. We received your request; its "
                   "reference is {reference}.",
    },
    Notice.INTERIM_RESPONSE: {
        "subject": "An update on your request {reference}",
        "opening": "We are still working on your request {reference}. It is taking longer "
                   "than we hoped; the status page shows where it stands and any notes "
                   "from the staff handling it.",
    },
    Notice.TRANSFER: {
        "subject": "Your request {reference} was passed to {department}",
        "opening": "Your request {reference} is now handled by {department}, who are best "
                   "placed to deal with it. You do not need to contact us again.",
    },
    Notice.RESOLUTION: {
        "subject": "Your request {reference} was resolved",
        "opening": "Your request {reference} was resolved on {resolved_on}. If it is not "
                   "resolved for you, reply to the Town quoting the reference and we will "
                   "look at it again.",
        "survey": "Tell us how we did (a few questions, one minute):",
    },
    Notice.APPOINTMENT: {
        "subject": "Your appointment about request {reference}",
        "opening": "Your appointment about request {reference} is booked.",
    },
    Notice.APPOINTMENT_CHANGE: {
        "subject": "Your appointment about request {reference} was moved",
        "opening": "Your appointment about request {reference} was moved; it no longer "
                   "takes place on {previous}.",
    },
    Notice.APPOINTMENT_REMINDER: {
        "subject": "Reminder: your appointment about request {reference}",
        "opening": "A reminder of your appointment about request {reference}.",
    },
}
FRENCH: dict[Notice, dict[str, str]] = {
    Notice.ACKNOWLEDGEMENT: {
        "subject": "Nous avons reçu votre demande {reference}",
        "opening": "Merci d'avoir communiqué avec la Ville. Nous avons reçu votre demande; "
                   "son numéro de référence est {reference}.",
    },
    Notice.INTERIM_RESPONSE: {
        "subject": "Un suivi de votre demande {reference}",
        "opening": "Nous traitons toujours votre demande {reference}. Elle prend plus de "
                   "temps que prévu; la page de suivi indique où elle en est et les notes "
                   "du personnel qui s'en occupe.",
    },
    Notice.TRANSFER: {
        "subject": "Votre demande {reference} a été confiée à : {department}",
        "opening": "Votre demande {reference} est maintenant traitée par : {department}, le "
                   "service le mieux placé pour y donner suite. Vous n'avez pas à "
                   "communiquer de nouveau avec nous.",
    },
    Notice.RESOLUTION: {
        "subject": "Votre demande {reference} a été réglée",
        "opening": "Votre demande {reference} a été réglée le {resolved_on}. Si elle ne "
                   "l'est pas à vos yeux, répondez à la Ville en indiquant le numéro de "
                   "référence et nous l'examinerons de nouveau.",
        "survey": "Dites-nous comment nous avons fait (quelques questions, une minute) :",
    },
    Notice.APPOINTMENT: {
        "subject": "Votre rendez-vous au sujet de la demande {reference}",
        "opening": "Votre rendez-vous au sujet de la demande {reference} est fixé.",
    },
    Notice.APPOINTMENT_CHANGE: {
        "subject": "Votre rendez-vous au sujet de la demande {reference} a été déplacé",
        "opening": "Votre rendez-vous au sujet de la demande {reference} a été déplacé; il "
                   "n'a plus lieu le {previous}.",
    },
    Notice.APPOINTMENT_REMINDER: {
        "subject": "Rappel : votre rendez-vous au sujet de la demande {reference}",
        "opening": "Un rappel de votre rendez-vous au sujet de la demande {reference}.",
    },
}
# An appointment's particulars: `{day}`, `{starts}`, `{ends}`, `{desk}` are filled in.
APPOINTMENT_WORDS = {
    Language.ENGLISH: {
        "when": "When: {day}, {starts} to {ends} ({zone})",
        "in_person": "Where: in person at {desk}",
        "virtual": "How: by video call with {desk}; join at the time above:",
        "change": "If you cannot come, contact us quoting the reference, and we will find "
                  "another time.",
    },
    Language.FRENCH: {
        "when": "Quand : le {day}, de {starts} à {ends} ({zone})",
        "in_person": "Où : en personne à : {desk}",
        "virtual": "Comment : par vidéoconférence avec : {desk}; joignez-vous à l'heure "
                   "indiquée :",
        "change": "Si vous ne pouvez pas venir, communiquez avec nous en indiquant le numéro "
                  "de référence et nous trouverons un autre moment.",
    },
}
COMMON = {
    Language.ENGLISH: {
        "promises": "What we promise:",
        "status": "Follow its progress at:",
        "closing": "Please quote the reference if you contact us about it.",
    },
    Language.FRENCH: {
        "promises": "Nos engagements :",
        "status": "Suivez son avancement à l'adresse :",
        "closing": "Veuillez indiquer ce numéro si vous communiquez avec nous à ce sujet.",
    },
}


@dataclass(frozen=True)
class Particulars:
    """What a message says about the case: its reference and public status link, the dates
    still promised, and per notice the new department, the moment of resolution and the
    survey link (None until the surveys feature gives one; the message reads well without)."""

    reference: str
    status_link: str | None = None
    promises: tuple[Promise, ...] = ()
    department: str = ""
    resolved_at: datetime | None = None
    survey_link: str | None = None
    appointment: Appointment | None = None


def when(moment: datetime, language: Language, zone: ZoneInfo = TORONTO) -> str:
    """`moment` in the Town's time (or `zone`'s), spelled for `language` (no locale: the
    host's may lack it)."""
    local = moment.astimezone(zone)
    if language == Language.FRENCH:
        month = FRENCH_MONTHS[local.month - 1]
        return f"{local.day} {month} {local.year} à {local:%H} h {local:%M}"
    return f"{local:%B} {local.day}, {local.year} at {local:%H:%M}"


def _clock(moment: datetime, language: Language) -> str:
    return f"{moment:%H} h {moment:%M}" if language == Language.FRENCH else f"{moment:%H:%M}"


def appointment_lines(appointment: Appointment, language: Language) -> list[str]:
    """When (in the desk's zone), where or how, the meeting link, and what to do if the
    customer cannot come."""
    words, zone = APPOINTMENT_WORDS[language], ZoneInfo(appointment.timezone)
    starts, ends = appointment.starts_at.astimezone(zone), appointment.ends_at.astimezone(zone)
    if language == Language.FRENCH:
        day = (f"{FRENCH_DAYS[starts.weekday()]} {starts.day} "
               f"{FRENCH_MONTHS[starts.month - 1]} {starts.year}")
    else:
        day = f"{starts:%A}, {starts:%B} {starts.day}, {starts.year}"
    lines = [words["when"].format(day=day, starts=_clock(starts, language),
                                  ends=_clock(ends, language), zone=starts.tzname()),
             words["virtual" if appointment.mode == "virtual" else "in_person"].format(
                 desk=appointment.desk)]
    if appointment.mode == "virtual" and appointment.meeting_link:
        lines.append(appointment.meeting_link)
    return [*lines, words["change"]]


def render(notice: Notice, language: Language, case: Particulars) -> Rendered:
    """The message `notice` about `case` in `language`, as plain text and HTML."""
    words = {**COMMON[language], **(FRENCH if language == Language.FRENCH else ENGLISH)[notice]}
    appointment = case.appointment
    moved_from = appointment.previous_starts_at if appointment else None
    fill = {"reference": case.reference, "department": case.department,
            "resolved_on": when(case.resolved_at, language) if case.resolved_at else "",
            "previous": (when(moved_from, language, ZoneInfo(appointment.timezone))
                         if appointment and moved_from else "")}
    subject = words["subject"].format(**fill)
    opening = words["opening"].format(**fill)
    text = [opening, ""]
    body = [f"<p>{html.escape(opening)}</p>"]
    if appointment is not None and notice in APPOINTMENT_NOTICES:
        lines = appointment_lines(appointment, language)
        text += [*lines, ""]
        body += [_html_line(line) for line in lines]
    promised = [f"{PROMISE_WORDS[language][p.kind]} {when(p.due_at, language)}"
                for p in case.promises if p.kind in PROMISE_WORDS[language]]
    if promised and notice in (Notice.ACKNOWLEDGEMENT, Notice.INTERIM_RESPONSE,
                               Notice.TRANSFER):
        text += [words["promises"], *(f"- {line}" for line in promised), ""]
        body += [f"<p>{html.escape(words['promises'])}</p>", "<ul>",
                 *(f"<li>{html.escape(line)}</li>" for line in promised), "</ul>"]
    for label, link in ((words.get("survey"), case.survey_link),
                        (words["status"], case.status_link)):
        if label and link:
            text += [label, link, ""]
            escaped = html.escape(link)
            body += [f'<p>{html.escape(label)} <a href="{escaped}">{escaped}</a></p>']
    text.append(words["closing"])
    body.append(f"<p>{html.escape(words['closing'])}</p>")
    document = (f'<!DOCTYPE html><html lang="{language.value}"><head><meta charset="utf-8">'
                f"<title>{html.escape(subject)}</title></head><body>{''.join(body)}</body>"
                "</html>")
    return Rendered(subject=subject, text="\n".join(text) + "\n", html=document)


def _html_line(line: str) -> str:
    """A paragraph; a link (the meeting's) made clickable."""
    escaped = html.escape(line)
    if line.startswith("https://"):
        return f'<p><a href="{escaped}">{escaped}</a></p>'
    return f"<p>{escaped}</p>"
