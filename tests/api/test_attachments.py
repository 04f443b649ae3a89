"""Files on a case over HTTP: what the bytes are decides whether they are kept, the log holds
their hashes, every read is logged, a customer's files are sealed and erased with them."""

from __future__ import annotations

import hashlib
import struct
import zlib
from typing import Any

from tests.api.conftest import DeskClient
from tests.api.test_access_log_api import disclosures


def png(width: int = 2, height: int = 1) -> bytes:
    """A real (tiny) PNG: signature, IHDR, one IDAT, IEND."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))
    rows = b"".join(b"\0" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8,
                                                              2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(api: DeskClient, case_id: str, data: bytes, content_type: str,
           name: str = "pothole.png", role: str = "csr", **headers: str) -> Any:
    return api.client.post(f"{api.cases}/{case_id}/attachments", params={"name": name},
                           content=data, headers={**api.headers(role),
                                                  "Content-Type": content_type, **headers})


def test_a_photo_is_kept_and_its_hash_is_in_the_log(api: DeskClient) -> None:
    # given a case with a customer
    case = api.receive()
    photo = png()
    # when a CSR attaches a photo
    response = upload(api, case["id"], photo, "image/png", name="C:\\photos\\pothole.png")
    # then it is recorded with the hash of its bytes, its kind read from them, its name cleaned
    assert response.status_code == 201, response.text
    added = response.json()
    assert (added["number"], added["name"], added["media_type"], added["size"],
            added["sha256"], added["sealed"], added["source"]) == (
        1, "pothole.png", "image/png", len(photo), hashlib.sha256(photo).hexdigest(), True,
        "staff")
    assert response.headers["location"] == added["href"]
    [event] = [e for e in api.ledger(case["id"])[1] if type(e).__name__ == "AttachmentAdded"]
    assert event.sha256 == hashlib.sha256(photo).hexdigest()
    assert event.stored_sha256 != event.sha256  # the store holds it sealed
    # and it downloads as it was sent, the download logged first
    download = api.client.get(added["href"], headers=api.headers("csr"))
    assert download.status_code == 200
    assert download.content == photo
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"] == "attachment; filename*=UTF-8''pothole.png"
    assert disclosures(api, case["id"])[-1] == ("csr-1", f"GET {added['href']}", "attachments")
    # and the list shows it
    listed = api.client.get(f"{api.cases}/{case['id']}/attachments", headers=api.headers("csr"))
    assert [a["sha256"] for a in listed.json()["items"]] == [added["sha256"]]


def test_a_customer_s_file_is_stored_encrypted(api: DeskClient) -> None:
    # given a case with a customer, and a PDF attached to it
    case = api.receive()
    added = upload(api, case["id"], PDF, "application/pdf", name="letter.pdf").json()
    # then the file store holds something else than the PDF (sealed with the customer's key)
    store = api.settings.attachments_directory
    kept = [p.read_bytes() for p in store.rglob("*") if p.is_file()
            and not p.name.startswith(".")]
    assert PDF not in kept
    assert added["sealed"] is True


def test_a_file_on_a_case_without_a_customer_is_kept_as_sent(api: DeskClient) -> None:
    case = api.receive(contact=None)
    photo = png(3, 2)
    added = upload(api, case["id"], photo, "image/png").json()
    assert added["sealed"] is False
    assert (api.settings.attachments_directory / added["sha256"][:2] / added["sha256"][2:4]
            / added["sha256"]).read_bytes() == photo


def test_a_file_whose_bytes_are_not_what_it_says_is_refused_and_nothing_recorded(
        api: DeskClient) -> None:
    # given a case
    case = api.receive()
    # when a PDF is sent labelled as a JPEG, and a script as a PNG
    with api.nothing_recorded(case["id"]):
        mislabelled = upload(api, case["id"], PDF, "image/jpeg", name="photo.jpg")
        script = upload(api, case["id"], b"#!/bin/sh\nrm -rf /\n", "image/png")
    # then both are refused, saying what the bytes are
    problem = api.problem(mislabelled, 422, "unsupported-file", "Content-Type")
    assert "application/pdf but it was sent as image/jpeg" in problem["detail"]
    assert "of no known kind" in api.problem(script, 422, "unsupported-file", "file")["detail"]


def test_a_kind_the_desk_does_not_keep_is_refused_by_its_content_type(api: DeskClient) -> None:
    case = api.receive()
    with api.nothing_recorded(case["id"]):
        response = upload(api, case["id"], b"PK\x03\x04rest", "application/zip",
                          name="a.zip")
    api.problem(response, 415, "unsupported-file", "Content-Type")


def test_an_oversized_file_is_refused(api: DeskClient) -> None:
    # given a desk that keeps files of at most CIVICDESK_ATTACHMENT_MAX_BYTES (10 MiB here)
    case = api.receive()
    too_big = png() + b"\0" * api.settings.attachment_max_bytes
    # when a larger one is sent, then it is refused and nothing is recorded
    with api.nothing_recorded(case["id"]):
        response = upload(api, case["id"], too_big, "image/png")
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_an_erased_customer_s_files_cannot_be_read_and_the_log_still_verifies(
        api: DeskClient) -> None:
    # given a customer's case with a photo
    case = api.receive()
    added = upload(api, case["id"], png(4, 4), "image/png").json()
    # when the privacy officer erases the customer
    erased = api.client.post(f"/api/v1/customers/{case['customer_id']}/erase",
                             headers=api.headers("privacy_officer"), json={"reason": "Asked"})
    assert erased.status_code == 200, erased.text
    # then the file is gone for good (its key destroyed), and the log still verifies
    api.problem(api.client.get(added["href"], headers=api.headers("director")), 410,
                "file-erased")
    assert api.client.get("/api/v1/audit/verify", headers=api.headers("auditor")).json()["ok"]
    # and no file about them can be added any more
    api.problem(upload(api, case["id"], png(), "image/png", role="director"), 422)


def test_staff_of_another_department_cannot_see_or_add_files(api: DeskClient) -> None:
    case = api.receive()
    added = upload(api, case["id"], png(), "image/png").json()
    outsider = api.headers("staff", departments=["planning"])
    api.problem(api.client.get(added["href"], headers=outsider), 404)
    api.problem(api.client.get(f"{api.cases}/{case['id']}/attachments", headers=outsider), 404)
    response = api.client.post(f"{api.cases}/{case['id']}/attachments", params={"name": "a.png"},
                               content=png(), headers={**outsider, "Content-Type": "image/png"})
    api.problem(response, 404)
    api.problem(api.client.get(f"{api.cases}/{case['id']}/attachments/9",
                               headers=api.headers("csr")), 404)
