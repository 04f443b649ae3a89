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
ENGLISH = {
    "subject": "We received your request {reference}",
    "opening": "Thank you for contacting the Town. We received your request; its reference "
               "is {reference}.",
    "promises": "What we promise:",
    "status": "Follow its progress at:",
    "closing": "Please quote the reference if you contact us about it.",
}
FRENCH = {
    "subject": "Nous avons reçu votre demande {reference}",
    "opening": "Merci d'avoir communiqué avec la Ville. Nous avons reçu votre demande; son "
               "numéro de référence est {reference}.",
    "promises": "Nos engagements :",
    "status": "Suivez son avancement à l'adresse :",
    "closing": "Veuillez indiquer ce numéro si vous communiquez avec nous à ce sujet.",
}


def when(moment: datetime, language: Language) -> str:
    """`moment` in the Town's time, spelled for `language` (no locale: the host's may lack it)."""
    local = moment.astimezone(TORONTO)
    if language == Language.FRENCH:
        month = FRENCH_MONTHS[local.month - 1]
        return f"{local.day} {month} {local.year} à {local:%H} h {local:%M}"
    return f"{local:%B} {local.day}, {local.year} at {local:%H:%M}"


def render(notice: Notice, language: Language, *, reference: str, status_link: str | None,
           promises: list[Promise]) -> Rendered:
    """The acknowledgement (the only notice yet) in `language`."""
    words = FRENCH if language == Language.FRENCH else ENGLISH
    lines = [words["opening"].format(reference=reference)]
    promised = [f"{PROMISE_WORDS[language][p.kind]} {when(p.due_at, language)}"
                for p in promises if p.kind in PROMISE_WORDS[language]]
    text = [*lines, ""]
    body = [f"<p>{html.escape(lines[0])}</p>"]
    if promised:
        text += [words["promises"], *(f"- {line}" for line in promised), ""]
        body += [f"<p>{html.escape(words['promises'])}</p>", "<ul>",
                 *(f"<li>{html.escape(line)}</li>" for line in promised), "</ul>"]
    if status_link:
        text += [words["status"], status_link, ""]
        link = html.escape(status_link)
        body += [f'<p>{html.escape(words["status"])} <a href="{link}">{link}</a></p>']
    text.append(words["closing"])
    body.append(f"<p>{html.escape(words['closing'])}</p>")
    document = (f'<!DOCTYPE html><html lang="{language.value}"><head><meta charset="utf-8">'
                f"<title>{html.escape(words['subject'].format(reference=reference))}</title>"
                f"</head><body>{''.join(body)}</body></html>")
    return Rendered(subject=words["subject"].format(reference=reference),
                    text="\n".join(text) + "\n", html=document)
