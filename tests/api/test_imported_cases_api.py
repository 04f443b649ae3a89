"""An imported case over HTTP, on each database: found by its imported reference (any letter
case), and its view says where it came from."""

from __future__ import annotations

from application.importing import import_rows
from domain.actors import Actor, Role
from infrastructure.case_import import mapping_named
from tests.api.conftest import DeskClient

ROW = {"source_id": "cas-900001", "received_at": "2024-05-01T13:00:00+00:00",
       "channel": "telephone", "purpose": "information", "department": "public-works",
       "service_code": "", "subject": "Old question", "description": "", "status": "closed",
       "resolved_at": "2024-05-01T14:00:00+00:00", "resolution": "Answered",
       "closed_at": "2024-05-02T14:00:00+00:00"}


def test_an_imported_case_is_found_by_its_reference_and_names_its_source(
        api: DeskClient) -> None:
    # given a case imported from a CSV export (its id there in lower case)
    summary = import_rows(api.desk, mapping_named("civicdesk"), [ROW],
                          Actor(id="civicdesk-cli:ops", role=Role.ADMIN))
    assert summary.imported + summary.already == 1
    # when staff look it up by its imported reference, in any letter case
    found = api.client.get("/api/v1/cases/by-reference/imp-csv-cas-900001",
                           headers=api.headers("csr"))
    # then it is the case, closed, received when it was received there, naming its source
    assert found.status_code == 200, found.text
    case = found.json()
    assert (case["reference"], case["status"], case["source_system"], case["source_id"]) == (
        "IMP-CSV-CAS-900001", "closed", "CSV", "cas-900001")
    assert case["received_at"].startswith("2024-05-01T13:00:00")
    assert case["targets"] == [] and case["imported_at"] is not None
