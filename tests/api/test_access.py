"""Who may do what (OWASP API1 and API5): every route, every role, both departments."""

from __future__ import annotations

from typing import Any

import jwt

from infrastructure.settings import Settings

ROLES = ["csr", "staff", "manager", "director", "admin", "clerk", "auditor"]
SEES_EVERY_DEPARTMENT = {"csr", "director", "admin", "clerk", "auditor"}
ACTORS = {"csr", "staff", "manager", "director", "admin"}

# The routes each role may run on a case of its own department (staff and managers work for
# Public Works in these tests). The front desk triages but does not escalate or debrief;
# staff escalate; managers also debrief; clerks and auditors only read.
MAY_RUN: dict[str, set[str]] = {
    "interactions": ACTORS, "assign": ACTORS, "transfer": ACTORS, "acknowledge": ACTORS,
    "interim-response": ACTORS, "wait": ACTORS, "customer-responded": ACTORS,
    "resolve": ACTORS, "reopen": ACTORS, "close": ACTORS, "classify": ACTORS,
    "accommodations": ACTORS, "survey": ACTORS,
    "escalate": {"staff", "manager", "director", "admin"},
    "debrief": {"manager", "director", "admin"},
}
SERVICE_OF = {"home": "public-works-roads-01", "away": "planning-building-01"}
REFUSALS = {403: "forbidden", 404: "not-found"}


def expected_write(role: str, route: str, department: str) -> int:
    """Another department's case is invisible to staff and managers, so it is not found."""
    if department == "away" and role not in SEES_EVERY_DEPARTMENT:
        return 404
    return 200 if role in MAY_RUN[route] else 403


def expected_read(role: str, department: str) -> int:
    return 200 if department == "home" or role in SEES_EVERY_DEPARTMENT else 404


ISSUED_AT = 1_700_000_000  # November 2023
VALID_CLAIMS = {"sub": "csr-1", "role": "csr", "departments": [], "iat": ISSUED_AT,
                "exp": ISSUED_AT + 10 ** 9}


def signed(settings: Settings, claims: dict[str, Any], secret: str | None = None,
           algorithm: str = "HS256") -> dict[str, str]:
    token = jwt.encode(claims, secret or settings.jwt_secret, algorithm=algorithm)
    return {"Authorization": f"Bearer {token}"}


def credentials(settings: Settings) -> dict[str, dict[str, str]]:
    """Every way a request can fail to authenticate, as request headers."""
    valid = VALID_CLAIMS
    return {
        "no Authorization header": {},
        "a Basic credential": {"Authorization": "Basic Y3NyOnNlY3JldA=="},
        "an empty bearer token": {"Authorization": "Bearer "},
        "a token that is not a JWT": {"Authorization": "Bearer not-a-jwt"},
        "a token signed with another secret": signed(settings, valid, "another-secret-x"),
        "a token signed with another algorithm": signed(settings, valid, algorithm="HS512"),
        "an expired token": signed(settings, {**valid, "exp": ISSUED_AT}),
        "a token for the system role": signed(settings, {**valid, "role": "system"}),
        "a token with an unknown role": signed(settings, {**valid, "role": "mayor"}),
        "a token without a subject": signed(
            settings, {k: v for k, v in valid.items() if k != "sub"}),
        "a token whose departments are not a list": signed(
            settings, {**valid, "departments": "cao"}),
    }


def test_every_protected_route_refuses_a_request_without_valid_credentials(
        api: Any, settings: Settings, subtests: Any) -> None:
    # given a case, and for each route a body it would accept
    case_id = api.receive()["id"]
    requests = [("POST", api.cases, api.new_case_body()),
                ("GET", f"{api.cases}/{case_id}", None),
                ("GET", f"{api.cases}/{case_id}/history", None)]
    requests += [("POST", f"{api.cases}/{case_id}/{route}", body)
                 for route, (_, body) in api.routes.items()]
    position = api.desk.log_position()
    for description, headers in credentials(settings).items():
        with subtests.test(msg=description):
            # when each route is called with those credentials
            for method, path, body in requests:
                response = api.client.request(method, path, json=body, headers=headers)
                # then it is a 401 problem that challenges for a bearer token
                api.problem(response, 401)
                assert response.headers["www-authenticate"].startswith("Bearer"), path
    # and nothing was recorded, while the same claims correctly signed are let in
    assert api.desk.log_position() == position
    control = api.client.get(f"{api.cases}/{case_id}", headers=signed(settings, VALID_CLAIMS))
    assert control.status_code == 200, control.text


def test_a_token_without_an_expiry_is_refused(api: Any, settings: Settings) -> None:
    # given a correctly signed token that carries no exp claim
    token = jwt.encode({"sub": "csr-1", "role": "csr", "departments": []},
                       settings.jwt_secret, algorithm="HS256")
    # when it is used; then it is refused like an expired one
    response = api.client.get(f"{api.cases}/{api.receive()['id']}",
                              headers={"Authorization": f"Bearer {token}"})
    api.problem(response, 401)


def test_an_unauthenticated_request_is_refused_before_its_body_is_read(api: Any) -> None:
    case_id = api.receive()["id"]
    response = api.client.post(f"{api.cases}/{case_id}/acknowledge", content=b"{not json",
                               headers={"Content-Type": "application/json"})
    api.problem(response, 401)


def test_each_role_reads_exactly_the_cases_it_should(api: Any) -> None:
    # given a Public Works case and a Planning case
    cases = {department: api.receive(service_code=service)["id"]
             for department, service in SERVICE_OF.items()}
    # when every role reads each case and its history
    actual, expected = {}, {}
    for role in ROLES:
        for department, case_id in cases.items():
            for what, path in [("case", f"{api.cases}/{case_id}"),
                               ("history", f"{api.cases}/{case_id}/history")]:
                response = api.client.get(path, headers=api.headers(role))
                actual[role, department, what] = response.status_code
                expected[role, department, what] = expected_read(role, department)
                if response.status_code == 404:
                    # then an invisible case is indistinguishable from one that never was
                    assert response.json()["detail"] == f"no case {case_id}"
    assert actual == expected


def test_each_role_runs_exactly_the_commands_it_should(api: Any) -> None:
    actual, expected = {}, {}
    for route in api.routes:
        for department, service in SERVICE_OF.items():
            # given a case of the department on which the command applies (a refusal records
            # nothing, so the refused roles share one; each allowed role gets its own)
            shared = api.prepared(route, service_code=service)
            for role in ROLES:
                outcome = expected_write(role, route, department)
                case_id, body = api.prepared(route, service) if outcome == 200 else shared
                before = api.ledger(case_id)
                # when the role runs the command
                response = api.post(case_id, route, body, role=role)
                actual[role, route, department] = response.status_code
                expected[role, route, department] = outcome
                # then a refusal is a problem, and records nothing
                if response.status_code in REFUSALS:
                    api.problem(response, response.status_code, REFUSALS[response.status_code])
                    assert api.ledger(case_id) == before, (role, route, department)
    assert actual == expected


def test_each_role_receives_cases_only_where_it_may(api: Any) -> None:
    actual, expected = {}, {}
    for role in ROLES:
        for department, service in SERVICE_OF.items():
            # when each role records a contact for each department's service
            position = api.desk.log_position()
            response = api.client.post(api.cases, json=api.new_case_body(service_code=service),
                                       headers=api.headers(role))
            actual[role, department] = response.status_code
            # then readers may not, and staff and managers only for their own department
            refused = role in {"clerk", "auditor"} or (
                department == "away" and role not in SEES_EVERY_DEPARTMENT)
            expected[role, department] = 403 if refused else 201
            if response.status_code == 403:
                api.problem(response, 403, "forbidden")
                assert api.desk.log_position() == position
    assert actual == expected


def test_staff_lose_sight_of_a_case_they_transfer_away(api: Any) -> None:
    # given a Public Works case; when Public Works staff transfer it to Planning
    case_id = api.receive()["id"]
    response = api.post(case_id, "transfer", {"to_department": "planning", "warm": True,
                                              "handover_note": "Zoning question"},
                        role="staff")
    assert response.status_code == 200, response.text
    # then they can no longer read it or act on it, and Planning staff can
    assert api.client.get(f"{api.cases}/{case_id}",
                          headers=api.headers("staff")).status_code == 404
    api.problem(api.post(case_id, "acknowledge", {}, role="staff"), 404)
    planner = api.headers("staff", departments=["planning"], sub="planner-1")
    assert api.client.get(f"{api.cases}/{case_id}", headers=planner).status_code == 200
