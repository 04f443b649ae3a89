"""The customer's survey page, `/survey/{token}`: CSAT, NPS and CES, answered once, in English or
French (HTML, no script, WCAG 2.1 AA, reflows on a phone), as the public status page is made.

`GET` shows the questions; `POST` (an HTML form) records the customer's own answer
(application.survey_links). A forged or unknown link (404), an expired one (410), one already
used or a case reopened since (409), and an answer without a score (422) each get a page saying
so in the customer's language; nothing is recorded. The language is `lang` (en or fr) if given,
else the browser's (`Accept-Language`), else English. The token travels in the path, which the
request log leaves out (api.request_log), and the answers show nothing personal.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from html import escape
from typing import Annotated, Any

import anyio
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.public_status import STYLE, TOWN_TIME, html
from application.desk import ServiceDesk
from application.survey_links import (
    SurveyInvitation,
    SurveyLinks,
    SurveyRefused,
    answer_survey,
    open_survey,
)
from domain.errors import InvalidValue
from domain.values import SURVEY_RANGES

LANGUAGES = ("en", "fr")
# The questions, in the order asked, with their scale's end labels.
QUESTIONS = ("csat", "nps", "ces")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "html_lang": "en-CA", "town": "Town of Cobourg: Service Cobourg",
        "skip": "Skip to main content", "title": "How did we do?",
        "intro": "Tell us how the Town handled your request {reference}. It takes a minute. "
                 "Answer the questions you want to; you can answer once, until {expires}.",
        "csat": "Overall, how satisfied are you with how the Town handled your request?",
        "csat_low": "Very dissatisfied", "csat_high": "Very satisfied",
        "nps": "How likely are you to recommend Service Cobourg to a friend or neighbour?",
        "nps_low": "Not at all likely", "nps_high": "Extremely likely",
        "ces": "How easy was it to get your request handled?",
        "ces_low": "Very difficult", "ces_high": "Very easy",
        "scale": "from {low} ({low_label}) to {high} ({high_label})",
        "submit": "Send my answers",
        "problem": "There is a problem", "none_given": "Choose at least one answer.",
        "thanks_title": "Thank you",
        "thanks": "Your answers about request {reference} are recorded. They help the Town "
                  "keep its service standards.",
        "unknown_title": "This survey link does not work",
        "unknown": "This link is not one the Town sent, or it was copied only in part. Check "
                   "that you used the whole link from your message.",
        "expired_title": "This survey has closed",
        "expired": "The survey about request {reference} could be answered until {expires}.",
        "used_title": "This survey was already answered",
        "used": "Answers about request {reference} were already sent through this link. Each "
                "request's survey is answered once.",
        "reopened_title": "This request is open again",
        "reopened": "Request {reference} was reopened, so the Town is still working on it. "
                    "The survey can be answered once it is resolved again.",
        "other_language": "Français", "other_code": "fr",
        "footer": "Questions? Contact Service Cobourg at Victoria Hall, 55 King Street West, "
                  "Cobourg. Quote your reference number.",
    },
    "fr": {
        "html_lang": "fr-CA", "town": "Ville de Cobourg : Service Cobourg",
        "skip": "Passer au contenu principal", "title": "Comment avons-nous fait ?",
        "intro": "Dites-nous comment la Ville a traité votre demande {reference}. Cela prend "
                 "une minute. Répondez aux questions de votre choix ; vous pouvez répondre une "
                 "fois, jusqu'au {expires}.",
        "csat": "Dans l'ensemble, êtes-vous satisfait de la façon dont la Ville a traité "
                "votre demande ?",
        "csat_low": "Très insatisfait", "csat_high": "Très satisfait",
        "nps": "Quelle est la probabilité que vous recommandiez Service Cobourg à un ami ou "
               "à un voisin ?",
        "nps_low": "Pas du tout probable", "nps_high": "Extrêmement probable",
        "ces": "Était-il facile de faire traiter votre demande ?",
        "ces_low": "Très difficile", "ces_high": "Très facile",
        "scale": "de {low} ({low_label}) à {high} ({high_label})",
        "submit": "Envoyer mes réponses",
        "problem": "Il y a un problème", "none_given": "Choisissez au moins une réponse.",
        "thanks_title": "Merci",
        "thanks": "Vos réponses au sujet de la demande {reference} sont enregistrées. Elles "
                  "aident la Ville à respecter ses normes de service.",
        "unknown_title": "Ce lien de sondage ne fonctionne pas",
        "unknown": "Ce lien n'a pas été envoyé par la Ville, ou il n'a été copié qu'en "
                   "partie. Vérifiez que vous avez utilisé le lien complet de votre message.",
        "expired_title": "Ce sondage est fermé",
        "expired": "Le sondage sur la demande {reference} pouvait être rempli jusqu'au "
                   "{expires}.",
        "used_title": "Ce sondage a déjà été rempli",
        "used": "Des réponses au sujet de la demande {reference} ont déjà été envoyées par ce "
                "lien. Le sondage de chaque demande se remplit une seule fois.",
        "reopened_title": "Cette demande est rouverte",
        "reopened": "La demande {reference} a été rouverte : la Ville y travaille encore. Le "
                    "sondage pourra être rempli quand elle sera de nouveau résolue.",
        "other_language": "English", "other_code": "en",
        "footer": "Des questions ? Communiquez avec Service Cobourg à l'hôtel de ville "
                  "Victoria Hall, 55, rue King Ouest, Cobourg. Indiquez votre numéro de "
                  "référence.",
    },
}
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre")

SURVEY_STYLE = STYLE + """
fieldset{border:1px solid #595959;border-radius:4px;margin:0 0 1.5rem;padding:.75rem 1rem}
legend{font-weight:700;padding:0 .25rem}
.hint{margin:.25rem 0 .75rem;color:#3b3b3b}
.scale{display:flex;flex-wrap:wrap;gap:.5rem;margin:0;padding:0;list-style:none}
.scale li{margin:0}
.scale label{display:flex;align-items:center;gap:.35rem;font-weight:400;min-width:2.75rem;
min-height:2.75rem;padding:.35rem .6rem;border:2px solid #595959;border-radius:4px;margin:0}
.scale input{width:1.25rem;height:1.25rem;margin:0}
.scale input:focus{outline:3px solid #b35c00;outline-offset:2px}
.errors{border:4px solid #b00020;padding:.5rem 1rem;margin-bottom:1.5rem}
.errors h2{border:0;margin-top:.5rem;color:#b00020}
form button{margin-left:0}
nav.language{text-align:right}
"""


def language(lang: str | None, accept: str | None) -> str:
    """`lang` if it names English or French; else the first of them the browser accepts (by
    its q weights); else English."""
    if lang in LANGUAGES:
        return lang
    ranked: list[tuple[float, int, str]] = []
    for order, part in enumerate((accept or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, order, primary))
    return min(ranked)[2] if ranked else "en"


def spoken_date(moment: datetime, lang: str) -> str:
    local = moment.astimezone(TOWN_TIME)
    if lang == "fr":
        return f"{local.day} {MONTHS_FR[local.month - 1]} {local.year}"
    return f"{local:%B} {local.day}, {local.year}"


def _time(moment: datetime, lang: str) -> str:
    return f'<time datetime="{moment.isoformat()}">{escape(spoken_date(moment, lang))}</time>'


def page(lang: str, title: str, body: str, switch_to: str) -> str:
    """A whole page; `switch_to` is the address of this page in the other language."""
    t = TEXT[lang]
    other = t["other_code"]
    return (f'<!DOCTYPE html><html lang="{t["html_lang"]}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="robots" content="noindex">'
            f"<title>{escape(title)} - {escape(t['town'])}</title>"
            f"<style>{SURVEY_STYLE}</style></head>"
            f'<body><a class="skip" href="#main">{escape(t["skip"])}</a>'
            f"<header><p>{escape(t['town'])}</p></header>"
            f'<nav class="language" aria-label="{escape(t["other_language"])}"><p>'
            f'<a href="{escape(switch_to)}" lang="{other}" hreflang="{other}">'
            f'{escape(t["other_language"])}</a></p></nav>'
            f'<main id="main">{body}</main>'
            f"<footer><p>{escape(t['footer'])}</p></footer></body></html>")


def _question(kind: str, lang: str, chosen: Mapping[str, int]) -> str:
    t = TEXT[lang]
    low, high = SURVEY_RANGES[kind]
    hint = t["scale"].format(low=low, high=high, low_label=t[f"{kind}_low"],
                             high_label=t[f"{kind}_high"])
    options = "".join(
        f'<li><label for="{kind}-{n}"><input type="radio" id="{kind}-{n}" name="{kind}" '
        f'value="{n}"{" checked" if chosen.get(kind) == n else ""}>{n}</label></li>'
        for n in range(low, high + 1))
    return (f'<fieldset id="{kind}" aria-describedby="{kind}-hint"><legend>{escape(t[kind])}'
            f'</legend><p class="hint" id="{kind}-hint">{escape(hint)}</p>'
            f'<ul class="scale">{options}</ul></fieldset>')


def form_page(token: str, lang: str, invitation: SurveyInvitation,
              chosen: Mapping[str, int] | None = None, error: str | None = None) -> str:
    t = TEXT[lang]
    errors = (f'<div class="errors" role="alert" aria-labelledby="errors-title">'
              f'<h2 id="errors-title">{escape(t["problem"])}</h2><p><a href="#csat">'
              f"{escape(error)}</a></p></div>" if error else "")
    intro = escape(t["intro"]).format(reference=escape(invitation.reference),
                                      expires=_time(invitation.expires_at, lang))
    questions = "".join(_question(kind, lang, chosen or {}) for kind in QUESTIONS)
    body = (f"<h1>{escape(t['title'])}</h1>{errors}<p>{intro}</p>"
            f'<form method="post" action="/survey/{escape(token)}?lang={lang}">'
            f'{questions}<p><button type="submit">{escape(t["submit"])}</button></p></form>')
    title = f"{t['problem']}: {t['title']}" if error else t["title"]
    return page(lang, title, body, f"/survey/{token}?lang={t['other_code']}")


def message_page(token: str, lang: str, kind: str, reference: str = "",
                 expires: datetime | None = None) -> str:
    t = TEXT[lang]
    text = escape(t[kind]).format(reference=escape(reference),
                                  expires=_time(expires, lang) if expires else "")
    title = t[f"{kind}_title"]
    return page(lang, title, f"<h1>{escape(title)}</h1><p>{text}</p>",
                f"/survey/{token}?lang={t['other_code']}")


# Why a link cannot be answered: the page's message and its status.
REFUSALS = {"unknown": 404, "expired": 410, "used": 409, "reopened": 409}


def refusal(token: str, lang: str, refused: SurveyRefused) -> Response[str]:
    """The page, and its status, for a link that cannot be answered now."""
    return html(message_page(token, lang, refused.why, refused.reference, refused.expires_at),
                REFUSALS[refused.why])


def _scores(form: Mapping[str, Any]) -> dict[str, int | None]:
    """The scores the form gave: digits within each question's range, else not given (the
    page offers nothing else; anything else did not come from it)."""
    scores: dict[str, int | None] = {}
    for kind in QUESTIONS:
        value = form.get(kind)
        low, high = SURVEY_RANGES[kind]
        given = (int(value) if isinstance(value, str) and value.isascii() and value.isdigit()
                 and len(value) <= 2 else None)
        scores[kind] = given if given is not None and low <= given <= high else None
    return scores


@get("/survey/{token:str}", operation_id="survey_page", include_in_schema=False)
async def survey_page(request: Request[Any, Any, Any], desk: NamedDependency[ServiceDesk],
                      survey_links: NamedDependency[SurveyLinks | None], token: str,
                      lang: Annotated[str | None, QueryParameter()] = None) -> Response[str]:
    chosen = language(lang, request.headers.get("accept-language"))
    if survey_links is None:
        return html(message_page(token, chosen, "unknown"), 404)
    try:
        invitation = await anyio.to_thread.run_sync(open_survey, desk, survey_links, token)
    except SurveyRefused as refused:
        return refusal(token, chosen, refused)
    return html(form_page(token, chosen, invitation))


@post("/survey/{token:str}", operation_id="survey_answer", include_in_schema=False,
      status_code=200)
async def survey_answer(request: Request[Any, Any, Any], desk: NamedDependency[ServiceDesk],
                        survey_links: NamedDependency[SurveyLinks | None], token: str,
                        lang: Annotated[str | None, QueryParameter()] = None,
                        ) -> Response[str]:
    chosen = language(lang, request.headers.get("accept-language"))
    if survey_links is None:
        return html(message_page(token, chosen, "unknown"), 404)
    form = await request.form()
    scores = _scores(form)
    try:
        invitation = await anyio.to_thread.run_sync(open_survey, desk, survey_links, token)
        if all(score is None for score in scores.values()):
            given = {k: v for k, v in scores.items() if v is not None}
            return html(form_page(token, chosen, invitation, given,
                                  TEXT[chosen]["none_given"]), 422)
        await anyio.to_thread.run_sync(
            lambda: answer_survey(desk, survey_links, token, csat=scores["csat"],
                                  nps=scores["nps"], ces=scores["ces"]))
    except SurveyRefused as refused:
        return refusal(token, chosen, refused)
    except InvalidValue:
        return html(form_page(token, chosen, invitation, {},
                              TEXT[chosen]["none_given"]), 422)
    return html(message_page(token, chosen, "thanks", invitation.reference))
