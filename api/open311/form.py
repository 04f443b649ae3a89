"""POST Service Request's form: read, then every field checked and every problem told at once."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlparse

from litestar import Request
from litestar.datastructures import UploadFile

from api.open311.errors import Open311Error
from api.plain_text import control_character
from application.attachments import Upload
from application.open311 import RequestForm
from domain.open311 import Location, location_problems

CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # a service code
ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9().\-\s]{7,30}(?:\s*(?:x|ext\.?)\s*[0-9]{1,6})?$")
HTML = re.compile(r"<\s*/?\s*[A-Za-z!?]")
DESCRIPTION_LIMIT = 4000  # GeoReport v2
FIELD_LIMITS = {"first_name": 100, "last_name": 100, "email": 254, "phone": 40,
                "device_id": 200, "account_id": 200, "media_url": 2000,
                "address_string": 500, "address_id": 100, "service_code": 64, "lat": 40,
                "long": 40, "description": DESCRIPTION_LIMIT, "api_key": 200,
                "jurisdiction_id": 200}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


# What a multipart form may hold besides its `media` file: its text fields (all within
# FIELD_LIMITS, about 8 KB) and the parts' headers.
FORM_ALLOWANCE = 64 * 1024


async def read_form(request: Request[Any, Any, Any]) -> tuple[dict[str, list[str]],
                                                              Upload | None]:
    """The form's text fields, and the file it carries as `media` (a multipart form's one
    file part: the resident's photo, kept as an attachment on the case)."""
    media_type, options = request.content_type
    if media_type == FORM_TYPES[0]:
        return decode_urlencoded(await request.body(), options.get("charset") or "utf-8"), None
    if media_type != FORM_TYPES[1]:
        raise Open311Error(400, "POST Service Request takes "
                                "Content-Type: application/x-www-form-urlencoded")
    try:
        form = await request.form()
    except (UnicodeDecodeError, LookupError):
        # Litestar decodes each part by its own charset (UTF-8 if none), strictly.
        raise Open311Error(400, "a field of the multipart form is not valid in its charset "
                                "(UTF-8 unless the part declares another)") from None
    fields: dict[str, list[str]] = {}
    media: Upload | None = None
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key != "media":
                raise Open311Error(400, f"{key}: the one file a request may carry is media")
            if media is not None:
                raise Open311Error(400, "media: send one file")
            media = Upload(name=value.filename or "media", data=await value.read(),
                           declared_type=value.content_type, source="open311")
            continue
        fields.setdefault(key, []).append(value)
    return fields, media


def decode_urlencoded(body: bytes, charset: str) -> dict[str, list[str]]:
    """The fields of a urlencoded form, decoded by the charset its Content-Type declares
    (UTF-8 if none): its raw bytes and its %-escapes alike. Litestar's own parser reads raw
    bytes as Latin-1 and escapes as UTF-8 with replacement characters, so a form in another
    charset than UTF-8 would be stored garbled. Undecodable text is refused, never stored."""
    if not _ascii_compatible(charset):
        raise Open311Error(415, f"charset {charset} is not supported: send the form in UTF-8 "
                                "(or another ASCII-compatible charset, such as ISO-8859-1)")
    try:
        pairs = parse_qsl(body.decode(charset), keep_blank_values=True, encoding=charset,
                          errors="strict")
    except UnicodeDecodeError:
        raise Open311Error(400, f"the form is not valid {charset}: send it in the charset its "
                                "Content-Type declares (charset=utf-8 if none)") from None
    fields: dict[str, list[str]] = {}
    for key, value in pairs:
        fields.setdefault(key, []).append(value)
    return fields


def _ascii_compatible(charset: str) -> bool:
    """A text encoding in which the form's own characters ("=", "&", "%", "+" and ASCII
    names) are their ASCII bytes (not UTF-16, not a codec such as rot13 or base64)."""
    probe = "service_code=a-1&x=%2B+"
    try:
        return probe.encode(charset) == probe.encode("ascii") and \
            probe.encode("ascii").decode(charset) == probe
    except (LookupError, UnicodeError):
        return False


def single(fields: dict[str, list[str]], name: str) -> str | None:
    """A field sent at most once; empty counts as absent ("Optional Arguments")."""
    values = [v.strip() for v in fields.get(name, []) if v.strip()]
    if len(values) > 1:
        raise Open311Error(400, f"{name} was sent more than once")
    return values[0] if values else None


def parse_request(fields: dict[str, list[str]]) -> RequestForm:
    """Every field checked; every problem reported at once."""
    problems: list[str] = []
    attributes: dict[str, list[str]] = {}
    for key, sent in fields.items():
        attribute = ATTRIBUTE.match(key)
        if attribute:
            attributes.setdefault(attribute[1], []).extend(v.strip() for v in sent)
        elif key not in FIELD_LIMITS:
            problems.append(f"{key} is not a field of POST Service Request")

    def text(name: str) -> str | None:
        try:
            value = single(fields, name)
        except Open311Error as error:
            problems.extend(error.descriptions)
            return None
        if value is None:
            return None
        if len(value) > FIELD_LIMITS[name]:
            problems.append(f"{name} is at most {FIELD_LIMITS[name]} characters")
        elif reason := control_character(value, multi_line=name == "description"):
            problems.append(f"{name} {reason}")
        return value

    unreadable: list[str] = []

    def number(name: str) -> float | None:
        value = text(name)
        if value is None:
            return None
        try:
            return float(value)
        except ValueError:
            problems.append(f"{name} must be a decimal number (WGS84); got {value!r}")
            unreadable.append(name)
            return None

    given = {name: text(name) for name in ("service_code", "address_string", "address_id",
                                            "email", "first_name", "last_name", "phone",
                                            "device_id", "account_id", "media_url",
                                            "description")}
    lat, long = number("lat"), number("long")
    code = given["service_code"]
    if code is None:
        problems.append("service_code was not provided")
    elif not CODE.match(code):
        problems.append(f"service_code {code!r} is not a service code")
    if not unreadable:
        problems += [p.detail if (p.field or "") in p.detail else f"{p.field}: {p.detail}"
                     for p in location_problems(lat, long, given["address_string"],
                                                given["address_id"])]
    if given["email"] and not EMAIL.match(given["email"]):
        problems.append("email is not an email address")
    if given["phone"] and not PHONE.match(given["phone"]):
        problems.append("phone is not a phone number")
    if given["media_url"]:
        url = urlparse(given["media_url"])
        if url.scheme not in {"http", "https"} or not url.netloc:
            problems.append("media_url must be an http or https URL")
    if given["description"] and HTML.search(given["description"]):
        problems.append("description may contain line breaks, but not HTML or code")
    if problems:
        raise Open311Error(400, *problems)
    assert code is not None
    return RequestForm(
        service_code=code,
        location=Location(lat=lat, long=long, address_string=given["address_string"],
                          address_id=given["address_id"]),
        description=given["description"] or "", media_url=given["media_url"],
        attributes=attributes, first_name=given["first_name"],
        last_name=given["last_name"], email=given["email"], phone=given["phone"],
        device_id=given["device_id"], account_id=given["account_id"])
