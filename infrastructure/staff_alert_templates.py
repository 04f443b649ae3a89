"""The words of an alert emailed to staff (a case's target at risk or its deadline missed), in
English and French, plain text and HTML. It names the case by reference, the target, and the
due time in the desk's time zone: no customer's name, address or description of the matter."""

from __future__ import annotations

import html
from datetime import datetime

from domain.inbox import ItemKind
from domain.notices import Language
from infrastructure.mail_templates import Rendered, when

TARGET_WORDS = {
    Language.ENGLISH: {"acknowledge": "acknowledgement", "interim_response": "interim response",
                       "respond": "response", "resolve": "resolution",
                       "answer_wait": "answer wait", "serve_wait": "service wait"},
    Language.FRENCH: {"acknowledge": "accusé de réception", "interim_response": "suivi",
                      "respond": "réponse", "resolve": "résolution",
                      "answer_wait": "attente de réponse", "serve_wait": "attente de service"},
}
WORDS = {
    Language.ENGLISH: {
        ItemKind.AT_RISK: ("Case {reference}: {target} target at risk",
                           "The {target} target of case {reference} is at risk: it is due "
                           "{due} (Toronto time)."),
        ItemKind.DEADLINE_MISSED: ("Case {reference}: {target} deadline missed",
                                   "The {target} deadline of case {reference} was missed: it "
                                   "was due {due} (Toronto time)."),
    },
    Language.FRENCH: {
        ItemKind.AT_RISK: ("Dossier {reference} : cible menacée ({target})",
                           "La cible « {target} » du dossier {reference} est menacée : "
                           "l'échéance est le {due} (heure de Toronto)."),
        ItemKind.DEADLINE_MISSED: ("Dossier {reference} : échéance manquée ({target})",
                                   "L'échéance « {target} » du dossier {reference} est "
                                   "dépassée : elle était le {due} (heure de Toronto)."),
    },
}
CLOSING = {
    Language.ENGLISH: "Open the case in the desk, or see your inbox, to act on it.",
    Language.FRENCH: "Ouvrez le dossier dans le système, ou votre boîte de réception, pour "
                     "y donner suite.",
}


def render_alert(kind: ItemKind, language: Language, *, reference: str, target: str,
                 due_at: datetime) -> Rendered:
    subject_words, opening_words = WORDS[language][kind]
    fill = {"reference": reference, "target": TARGET_WORDS[language].get(target, target),
            "due": when(due_at, language)}
    subject, opening = subject_words.format(**fill), opening_words.format(**fill)
    closing = CLOSING[language]
    document = (f'<!DOCTYPE html><html lang="{language.value}"><head><meta charset="utf-8">'
                f"<title>{html.escape(subject)}</title></head><body>"
                f"<p>{html.escape(opening)}</p><p>{html.escape(closing)}</p></body></html>")
    return Rendered(subject=subject, text=f"{opening}\n\n{closing}\n", html=document)
