"""The staff directory over HTTP, on each database: an administrator sets a member of staff's
work email and language and reads it back; anyone else is refused; bad input is a problem
naming the field, and records nothing."""

from __future__ import annotations

from typing import Any

ROUTE = "/api/v1/admin/staff/{}"


def test_an_administrator_sets_and_reads_a_staff_entry(api: Any) -> None:
    # given no entry for staff-dee
    api.problem(api.client.get(ROUTE.format("staff-dee"), headers=api.headers("admin")), 404)
    # when an administrator sets her work email, in French
    put = api.client.put(ROUTE.format("staff-dee"), headers=api.headers("admin"),
                         json={"work_email": "dee@cobourg.example", "language": "fr"})
    assert put.status_code == 200, put.text
    # then the entry reads back as set
    got = api.client.get(ROUTE.format("staff-dee"), headers=api.headers("admin"))
    assert got.status_code == 200, got.text
    assert got.json() == {"staff_id": "staff-dee", "work_email": "dee@cobourg.example",
                          "language": "fr", "version": put.json()["version"]}
    # and a change of address is a new version
    moved = api.client.put(ROUTE.format("staff-dee"), headers=api.headers("admin"),
                           json={"work_email": "dee.d@cobourg.example", "language": "fr"})
    assert moved.status_code == 200 and moved.json()["version"] == put.json()["version"] + 1


def test_only_administrators_keep_the_directory_and_bad_input_records_nothing(
        api: Any) -> None:
    body = {"work_email": "eve@cobourg.example"}
    with api.nothing_recorded():
        api.problem(api.client.put(ROUTE.format("staff-eve"), json=body,
                                   headers=api.headers("manager")), 403)
        api.problem(api.client.get(ROUTE.format("staff-eve"),
                                   headers=api.headers("manager")), 403)
        api.problem(api.client.put(ROUTE.format("staff-eve"), json=body), 401)
        api.problem(api.client.put(ROUTE.format("staff-eve"), headers=api.headers("admin"),
                                   json={"work_email": "not an address"}), 400)
        api.problem(api.client.put(ROUTE.format("staff%07"), json=body,
                                   headers=api.headers("admin")), 400)
        api.problem(api.client.put(ROUTE.format("staff-eve"), headers=api.headers("admin"),
                                   json={**body, "language": "de"}), 400)
        api.problem(api.client.put(ROUTE.format("staff-eve"), headers=api.headers("admin"),
                                   json={**body, "boss": "x"}), 400)
