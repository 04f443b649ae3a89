"""The words of each message the desk emails customers, in English and French, as plain text
and HTML. A message names the case by its reference only: no name, address or description of
the matter (whoever reads the mailbox learns no more than the status page shows)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from domain.notices import Language, Notice

TORONTO = ZoneInfo("America/Toronto")


@dataclass(frozen=True)
class Promise:
    kind: str  # the target's kind: interim_response, respond or resolve
    due_at: datetime


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


def when(moment: datetime, language: Language) -> str:
    """`moment` in the Town's time, spelled for `language` (no locale: the host's may lack it)."""
    local = moment.astimezone(TORONTO)
    if language == Language.FRENCH:
        month = FRENCH_MONTHS[local.month - 1]
        return f"{local.day} {month} {local.year} à {local:%H} h {local:%M}"
    return f"{local:%B} {local.day}, {local.year} at {local:%H:%M}"


def render(notice: Notice, language: Language, case: Particulars) -> Rendered:
    """The message `notice` about `case` in `language`, as plain text and HTML."""
    words = {**COMMON[language], **(FRENCH if language == Language.FRENCH else ENGLISH)[notice]}
    fill = {"reference": case.reference, "department": case.department,
            "resolved_on": when(case.resolved_at, language) if case.resolved_at else ""}
    subject = words["subject"].format(**fill)
    opening = words["opening"].format(**fill)
    text = [opening, ""]
    body = [f"<p>{html.escape(opening)}</p>"]
    promised = [f"{PROMISE_WORDS[language][p.kind]} {when(p.due_at, language)}"
                for p in case.promises if p.kind in PROMISE_WORDS[language]]
    if promised and notice != Notice.RESOLUTION:
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
