"""The credit API: the full file for regulators and departments, the enterprise's own view and
the public view (never the risk class), department posts with their type table and idempotent
references, as-of reads, and the 4xx answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enterprise import Enterprise
from models.system import Role
from tests.factories import Keys, assert_problem, make_enterprise, make_result, make_task

API = "/api/v1"
TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.clock.today", lambda: TODAY)


def event_body(kind: str = "administrative_penalty", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": kind,
        "occurred_on": "2026-05-20",
        "reference": f"郑市监罚〔2026〕{kind}-{overrides.get('occurred_on', '')}号",
        "summary": "生产销售不合格产品",
    }
    if kind == "administrative_penalty":
        body |= {"severity": "other", "penalty_kind": "fine"}
    return body | overrides


def keys_of(value: Any) -> Iterator[str]:
    """Every key anywhere in a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from keys_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys_of(item)


async def post_event(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    uscc: str,
    kind: str = "administrative_penalty",
    **body: Any,
) -> httpx.Response:
    return await client.post(
        f"{API}/enterprises/{uscc}/credit-events", json=event_body(kind, **body), headers=headers
    )


@pytest.fixture
async def enterprise(session: AsyncSession) -> Enterprise:
    return await make_enterprise(session, name="郑州信用测试电器有限公司")


async def test_regulators_read_the_full_file_with_its_explanation_and_risk_class(
    client: httpx.AsyncClient, keys: Keys, enterprise: Enterprise
) -> None:
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410100")
    posted = await post_event(client, regulator, enterprise.uscc)
    assert posted.status_code == 201, posted.text
    assert posted.json()["publish_until"] == "2029-05-20"

    response = await client.get(f"{API}/enterprises/{enterprise.uscc}/credit", headers=regulator)
    assert response.status_code == 200, response.text
    view = response.json()
    assert (view["score"], view["grade"], view["base"], view["listed"]) == (90, "A", 100, False)
    assert view["model_version"] == "credit-score/1"
    assert sum(c["points"] for c in view["explanation"]) == view["score"] - view["base"]
    (contribution,) = view["explanation"]
    assert (contribution["rule"], contribution["points"]) == ("penalty_other", -10)
    assert (view["risk_class"], view["risk_reasons"]) == ("C", ["penalty_published"])
    assert [e["reference"] for e in view["events"]] == [posted.json()["reference"]]
    assert view["enterprise"]["name"] == enterprise.name


async def test_departments_read_the_full_file_too(
    client: httpx.AsyncClient, keys: Keys, enterprise: Enterprise
) -> None:
    department = await keys.headers(Role.DEPARTMENT, department="czt-410000")
    response = await client.get(f"{API}/enterprises/{enterprise.uscc}/credit", headers=department)
    assert response.status_code == 200, response.text
    assert (response.json()["score"], response.json()["risk_class"]) == (100, "B")


async def test_the_risk_class_is_absent_from_enterprise_and_public_views(
    client: httpx.AsyncClient, keys: Keys, enterprise: Enterprise
) -> None:
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410100")
    await post_event(client, regulator, enterprise.uscc)
    own = await keys.headers(Role.ENTERPRISE, uscc=enterprise.uscc)

    mine = await client.get(f"{API}/me/credit", headers=own)
    public = await client.get(f"{API}/public/enterprises/{enterprise.uscc}")
    for response in (mine, public):
        assert response.status_code == 200, response.text
        assert not [k for k in keys_of(response.json()) if k.startswith("risk")]
        assert "risk" not in response.text.lower()
    assert (mine.json()["score"], mine.json()["grade"]) == (90, "A")
    assert public.json()["grade"] == "A"
    # And an enterprise key cannot read the internal view of its own file.
    internal = await client.get(f"{API}/enterprises/{enterprise.uscc}/credit", headers=own)
    assert_problem(internal, 403, "credit.internal_view")


async def test_the_public_sees_public_events_inside_their_publication_period_only(
    client: httpx.AsyncClient, keys: Keys, enterprise: Enterprise
) -> None:
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410100")
    shown = await post_event(client, regulator, enterprise.uscc, reference="A-1")
    await post_event(client, regulator, enterprise.uscc, "verified_complaint", public=False)
    # A reprimand of January stopped being published on 1 April (3 months).
    await post_event(
        client,
        regulator,
        enterprise.uscc,
        reference="A-2",
        occurred_on="2026-01-01",
        penalty_kind="reprimand",
    )
    response = await client.get(f"{API}/public/enterprises/{enterprise.uscc}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["uscc"]) == (enterprise.name, enterprise.uscc)
    assert [(e["type"], e["occurred_on"]) for e in body["events"]] == [
        ("administrative_penalty", shown.json()["occurred_on"])
    ]
    assert "reference" not in body["events"][0]


async def test_reposting_a_reference_returns_the_original(
    client: httpx.AsyncClient, keys: Keys, enterprise: Enterprise
) -> None:
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410100")
    first = await post_event(client, regulator, enterprise.uscc, reference="郑市监罚〔2026〕7号")
    again = await post_event(client, regulator, enterprise.uscc, reference="郑市监罚〔2026〕7号")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    view = await client.get(f"{API}/enterprises/{enterprise.uscc}/credit", headers=regulator)
    assert view.json()["score"] == 90  # counted once

    other_fact = await post_event(
        client,
        regulator,
        enterprise.uscc,
        reference="郑市监罚〔2026〕7号",
        occurred_on="2026-05-21",
    )
    assert_problem(other_fact, 409, "credit_event.reference_reused")


@pytest.mark.parametrize(
    ("department", "kind", "status"),
    [
        ("scjg-410100", "administrative_penalty", 201),
        ("scjg-410100", "verified_complaint", 201),
        ("scjg-410100", "mandatory_recall", 201),
        ("scjg-410000", "award", 201),
        ("fgw-410000", "award", 201),
        ("kjt-410000", "certification", 201),
        ("fgw-410000", "administrative_penalty", 403),
        ("czt-410000", "award", 403),
        ("rmyh-410000", "certification", 403),
        ("scjg-410100", "nonconforming_result", 403),
        ("scjg-410100", "refusal", 403),
    ],
)
async def test_departments_post_only_the_types_their_role_allows(
    client: httpx.AsyncClient,
    keys: Keys,
    enterprise: Enterprise,
    department: str,
    kind: str,
    status: int,
) -> None:
    role = Role.REGULATOR if department.startswith("scjg") else Role.DEPARTMENT
    headers = await keys.headers(role, department=department)
    response = await post_event(client, headers, enterprise.uscc, kind)
    if status == 403:
        assert_problem(response, 403, "credit_event.type_forbidden")
    else:
        assert response.status_code == status, response.text
        assert response.json()["department_code"] == department


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"occurred_on": "2026-06-02"}, 422, "credit_event.date_in_future"),
        ({"published_on": "2026-06-02"}, 422, "credit_event.date_in_future"),
        ({"published_on": "2026-05-19"}, 422, "credit_event.published_before_occurred"),
        ({"severity": None}, 422, "credit_event.penalty_fields_missing"),
        (
            {"severity": "heavier", "penalty_kind": "reprimand"},
            422,
            "credit_event.severity_inconsistent",
        ),
        ({"penalty_kind": "licence_revocation"}, 422, "credit_event.severity_inconsistent"),
        ({"type": "award"}, 422, "credit_event.penalty_fields_not_allowed"),
        ({"department_code": "scjg-420000"}, 403, "credit_event.department_forbidden"),
    ],
)
async def test_bad_posts_are_problems_with_a_code(
    client: httpx.AsyncClient,
    keys: Keys,
    enterprise: Enterprise,
    overrides: dict[str, Any],
    status: int,
    code: str,
) -> None:
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410100")
    assert_problem(await post_event(client, regulator, enterprise.uscc, **overrides), status, code)


async def test_unknown_enterprises_and_wrong_roles(
    client: httpx.AsyncClient, keys: Keys, enterprise: Enterprise, session: AsyncSession
) -> None:
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410100")
    unknown = "91410100MA00000000"
    assert_problem(await post_event(client, regulator, unknown), 404, "enterprise.not_found")
    missing = await client.get(f"{API}/enterprises/{unknown}/credit", headers=regulator)
    assert_problem(missing, 404, "enterprise.not_found")
    public = await client.get(f"{API}/public/enterprises/{unknown}")
    assert_problem(public, 404, "enterprise.not_found")

    own = await keys.headers(Role.ENTERPRISE, uscc=enterprise.uscc)
    assert_problem(await post_event(client, own, enterprise.uscc), 403, "auth.role_forbidden")
    agency = await keys.headers(Role.AGENCY, agency=(await make_task(session)).agency.id)
    agency_read = await client.get(f"{API}/enterprises/{enterprise.uscc}/credit", headers=agency)
    assert_problem(agency_read, 403, "auth.role_forbidden")
    anonymous = await client.get(f"{API}/enterprises/{enterprise.uscc}/credit")
    assert_problem(anonymous, 401, "auth.missing")
    not_an_enterprise = await client.get(f"{API}/me/credit", headers=regulator)
    assert_problem(not_an_enterprise, 403, "auth.role_forbidden")


async def test_an_enterprise_asking_for_another_file_is_told_it_does_not_exist(
    client: httpx.AsyncClient, keys: Keys, enterprise: Enterprise, session: AsyncSession
) -> None:
    other = await make_enterprise(session)
    own = await keys.headers(Role.ENTERPRISE, uscc=enterprise.uscc)
    for path in ("credit", "credit-report"):
        response = await client.get(f"{API}/enterprises/{other.uscc}/{path}", headers=own)
        assert_problem(response, 404, "enterprise.not_found")


async def test_as_of_answers_with_what_was_recorded_on_that_day(
    client: httpx.AsyncClient,
    keys: Keys,
    enterprise: Enterprise,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410100")
    monkeypatch.setattr("service.clock.today", lambda: date(2026, 5, 25))
    await post_event(client, regulator, enterprise.uscc, reference="first")
    monkeypatch.setattr("service.clock.today", lambda: TODAY)
    await post_event(client, regulator, enterprise.uscc, "mandatory_recall", reference="second")

    async def view(as_of: str) -> dict[str, Any]:
        response = await client.get(
            f"{API}/enterprises/{enterprise.uscc}/credit",
            params={"as_of": as_of},
            headers=regulator,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    before, first, now = (
        await view("2026-05-24"),
        await view("2026-05-31"),
        await view("2026-06-01"),
    )
    assert (before["score"], before["events"], before["computed_at"]) == (100, [], None)
    assert (first["score"], [e["reference"] for e in first["events"]]) == (90, ["first"])
    assert (first["valid_from"], first["as_of"]) == ("2026-05-25", "2026-05-31")
    assert (now["score"], now["grade"], len(now["events"])) == (80, "B", 2)
    future = await client.get(
        f"{API}/enterprises/{enterprise.uscc}/credit",
        params={"as_of": (TODAY + timedelta(days=1)).isoformat()},
        headers=regulator,
    )
    assert_problem(future, 422, "credit.as_of_in_future")


async def test_my_credit_shows_pending_deadlines_and_the_repair_status(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    drawn = await make_task(session)
    result = await make_result(
        session, drawn, notified_on=date(2026, 5, 25), window_ends_on=date(2026, 6, 9)
    )
    own = await keys.headers(Role.ENTERPRISE, uscc=drawn.enterprise.uscc)
    response = await client.get(f"{API}/me/credit", headers=own)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["pending_deadlines"] == [
        {
            "kind": "result_objection",
            "subject_id": str(result.id),
            "due_on": "2026-06-09",
            "opens_on": None,
            "responsible": "enterprise",
        }
    ]
    assert body["repair"] == {
        "listed": False,
        "can_apply": False,
        "earliest_on": None,
        "reason": "not_listed",
    }
    assert (body["score"], body["grade"], body["listed"]) == (100, "A", False)


HOSTILE = ["x" * 5_000, "a\x00b", "\ud800", "'; DROP TABLE credit_events; --", "%_\\", "😀"]


def raw_post(
    client: httpx.AsyncClient, headers: dict[str, str], uscc: str, body: dict[str, Any]
) -> Any:
    # json.dumps escapes a lone surrogate as \\ud800, which the server then decodes.
    return client.post(
        f"{API}/enterprises/{uscc}/credit-events",
        content=json.dumps(body),
        headers={**headers, "Content-Type": "application/json"},
    )


@pytest.mark.parametrize("text", HOSTILE)
async def test_hostile_input_is_a_4xx_problem_never_a_server_error(
    client: httpx.AsyncClient, keys: Keys, enterprise: Enterprise, text: str
) -> None:
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410100")
    segment = quote(text.encode("utf-8", "surrogatepass"), safe="")
    responses = [
        await client.get(f"{API}/enterprises/{segment}/credit", headers=regulator),
        await client.get(f"{API}/enterprises/{segment}/credit-report", headers=regulator),
        await client.get(f"{API}/public/enterprises/{segment}"),
        await client.get(f"{API}/public/enterprises/{segment}", params={"as_of": segment}),
        await raw_post(client, regulator, enterprise.uscc, event_body(reference=text)),
        await raw_post(client, regulator, enterprise.uscc, event_body(summary=text)),
        await raw_post(
            client, regulator, enterprise.uscc, event_body("award", department_code=text)
        ),
        await raw_post(client, regulator, segment, event_body()),
    ]
    for response in responses:
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")
