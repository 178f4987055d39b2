"""Webhooks end to end: departments register endpoints, a listing change reaches every subscribed
endpoint signed per Standard Webhooks (verified here with the scheme's own algorithm), failures
are retried with backoff and disable the endpoint, the department re-enables it and replays, and
claimed deliveries survive a crash. Receivers are real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.scheduler import job_named, run_job
from models.base import utcnow
from models.blacklist import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from models.system import JobRun, Role
from service.app import create_app
from service.webhooks import delivery
from service.webhooks.delivery import DeliveryConfig, RunSummary, deliver_due
from tests.conftest import test_settings as settings_for
from tests.factories import Keys, assert_problem, make_listing

FGW, CZT, ZJT = "fgw-410000", "czt-410000", "zjt-410000"


# --- a real HTTP receiver on 127.0.0.1 ----------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    status: int = 200
    received: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")[1:]
        headers = {
            k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines if line)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.received.append(Received(headers, body))
        writer.write(
            f"HTTP/1.1 {self.status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        writer.close()


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[[], Any]]:
    servers: list[asyncio.Server] = []

    async def start(status: int = 200) -> Receiver:
        receiver = Receiver(status=status)
        server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
        receiver.port = server.sockets[0].getsockname()[1]
        servers.append(server)
        return receiver

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def verify_standard_webhook(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The Standard Webhooks verification, written from the specification."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body.decode()}"
    expected = base64.b64encode(hmac.new(key, signed.encode(), hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(sig.split(",", 1)[1], expected)
        for sig in headers["webhook-signature"].split(" ")
        if sig.startswith("v1,")
    )


# --- helpers -------------------------------------------------------------------------------------


def config(*, disable_after: int = 15) -> DeliveryConfig:
    return DeliveryConfig(
        allow_loopback=True, timeout_seconds=5.0, disable_after_failures=disable_after
    )


async def register(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    url: str,
    event_types: tuple[str, ...] = ("listing.listed", "listing.removed"),
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/webhooks", json={"url": url, "event_types": list(event_types)}, headers=headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def deliveries_of(session: AsyncSession, endpoint_id: str) -> list[WebhookDelivery]:
    rows = await session.exec(
        select(WebhookDelivery)
        .where(col(WebhookDelivery.endpoint_id) == uuid.UUID(endpoint_id))
        .order_by(col(WebhookDelivery.created_at), col(WebhookDelivery.id))
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


class Clock:
    """The delivery module's clock, moved forward by the test instead of waiting for backoff."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = timedelta(0)
        monkeypatch.setattr(delivery, "utcnow", lambda: utcnow() + self.offset)

    def move_to(self, at: datetime) -> None:
        self.offset = at - utcnow() + timedelta(milliseconds=1)


# --- registration ------------------------------------------------------------------------------


async def test_a_department_registers_an_endpoint_and_sees_the_secret_only_once(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    fgw = await keys.headers(Role.DEPARTMENT, department=FGW)
    created = await register(client, fgw, "http://127.0.0.1:9/hook")
    assert created["department_code"] == FGW
    assert created["state"] == "active"
    assert created["event_types"] == ["listing.listed", "listing.removed"]
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) >= 24

    shown = (await client.get(f"/api/v1/webhooks/{created['id']}", headers=fgw)).json()
    assert "secret" not in shown
    listed = (await client.get("/api/v1/webhooks", headers=fgw)).json()
    assert [e["id"] for e in listed["items"]] == [created["id"]]
    assert all("secret" not in e for e in listed["items"])

    changed = await client.patch(
        f"/api/v1/webhooks/{created['id']}",
        json={"event_types": ["release.published"]},
        headers=fgw,
    )
    assert changed.status_code == 200
    assert changed.json()["event_types"] == ["release.published"]


async def test_a_regulator_registers_for_its_own_department_and_an_admin_for_any(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410000")
    assert (await register(client, regulator, "http://127.0.0.1:9/"))[
        "department_code"
    ] == "scjg-410000"
    other = await client.post(
        "/api/v1/webhooks",
        json={
            "url": "http://127.0.0.1:9/",
            "event_types": ["listing.listed"],
            "department_code": FGW,
        },
        headers=regulator,
    )
    assert_problem(other, 403, "webhook.department_forbidden")

    admin = await keys.admin()
    missing = await client.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/", "event_types": ["listing.listed"]},
        headers=admin,
    )
    assert_problem(missing, 422, "webhook.department_required")
    for_czt = await client.post(
        "/api/v1/webhooks",
        json={
            "url": "http://127.0.0.1:9/",
            "event_types": ["listing.listed"],
            "department_code": CZT,
        },
        headers=admin,
    )
    assert for_czt.status_code == 201
    assert for_czt.json()["department_code"] == CZT


async def test_an_unknown_event_type_is_refused(client: httpx.AsyncClient, keys: Keys) -> None:
    fgw = await keys.headers(Role.DEPARTMENT, department=FGW)
    response = await client.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/", "event_types": ["listing.listed", "listing.deleted"]},
        headers=fgw,
    )
    assert_problem(response, 422, "webhook.event_type_unknown")


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",  # not https
        "ftp://example.com/hook",
        "https://10.1.2.3/hook",  # private
        "https://192.168.0.10/hook",
        "https://172.16.5.4/hook",
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "https://100.64.0.1/",  # shared address space
        "https://0.0.0.0/",
        "https://[fd00::1]/",  # unique local IPv6
        "https://[::ffff:10.0.0.1]/",  # IPv4-mapped private
        "http://10.0.0.1:8080/",  # plain http to a private address, even in test mode
    ],
)
async def test_webhooks_to_private_addresses_or_without_https_are_refused(
    client: httpx.AsyncClient, keys: Keys, url: str
) -> None:
    fgw = await keys.headers(Role.DEPARTMENT, department=FGW)
    response = await client.post(
        "/api/v1/webhooks", json={"url": url, "event_types": ["listing.listed"]}, headers=fgw
    )
    assert_problem(response, 422, "webhook.url_not_allowed")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",  # a name that resolves to loopback
        "https://[::1]/hook",
    ],
)
async def test_loopback_receivers_are_refused_outside_test_mode(
    database_url: str, keys: Keys, url: str
) -> None:
    settings = settings_for(database_url).model_copy(update={"test_mode": False})
    production: FastAPI = create_app(settings)
    async with production.router.lifespan_context(production):
        transport = httpx.ASGITransport(app=production, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            fgw = await keys.headers(Role.DEPARTMENT, department=FGW)
            response = await client.post(
                "/api/v1/webhooks",
                json={"url": url, "event_types": ["listing.listed"]},
                headers=fgw,
            )
            assert_problem(response, 422, "webhook.url_not_allowed")
            # Changing a URL is checked the same way.
            admin = await keys.admin()
            created = await client.post(
                "/api/v1/webhooks",
                json={
                    "url": "https://1.1.1.1/hook",
                    "event_types": ["listing.listed"],
                    "department_code": FGW,
                },
                headers=admin,
            )
            assert created.status_code == 201
            patched = await client.patch(
                f"/api/v1/webhooks/{created.json()['id']}", json={"url": url}, headers=fgw
            )
            assert_problem(patched, 422, "webhook.url_not_allowed")


async def test_another_departments_endpoint_is_not_found_and_other_roles_are_forbidden(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    fgw = await keys.headers(Role.DEPARTMENT, department=FGW)
    czt = await keys.headers(Role.DEPARTMENT, department=CZT)
    endpoint = await register(client, fgw, "http://127.0.0.1:9/")
    await make_listing(session)
    (sent,) = await deliveries_of(session, endpoint["id"])
    base = f"/api/v1/webhooks/{endpoint['id']}"
    for method, path in [
        ("GET", base),
        ("PATCH", base),
        ("POST", f"{base}/disable"),
        ("POST", f"{base}/enable"),
        ("GET", f"{base}/deliveries"),
        ("GET", f"{base}/deliveries/{sent.id}"),
        ("POST", f"{base}/deliveries/{sent.id}/replay"),
    ]:
        body = {"event_types": ["listing.listed"]} if method == "PATCH" else None
        response = await client.request(method, path, json=body, headers=czt)
        assert_problem(response, 404, "webhook.not_found")
    assert (await client.get("/api/v1/webhooks", headers=czt)).json()["items"] == []

    enterprise = await keys.headers(Role.ENTERPRISE, uscc=sent.payload["listing"]["uscc"])
    assert_problem(await client.get(base, headers=enterprise), 403, "auth.role_forbidden")
    assert_problem(
        await client.get("/api/v1/webhooks", headers=enterprise), 403, "auth.role_forbidden"
    )


# --- delivery ----------------------------------------------------------------------------------


async def test_a_listing_reaches_every_subscribed_endpoint_signed(
    app: FastAPI,
    client: httpx.AsyncClient,
    keys: Keys,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    receivers: Callable[..., Any],
) -> None:
    fgw_receiver, czt_receiver, zjt_receiver = (
        await receivers(),
        await receivers(),
        await receivers(),
    )
    fgw = await register(
        client, await keys.headers(Role.DEPARTMENT, department=FGW), fgw_receiver.url
    )
    czt = await register(
        client, await keys.headers(Role.DEPARTMENT, department=CZT), czt_receiver.url
    )
    # Subscribed to releases only: a listing is not for it.
    await register(
        client,
        await keys.headers(Role.DEPARTMENT, department=ZJT),
        zjt_receiver.url,
        ("release.published",),
    )

    listing = await make_listing(session)
    # The outbox was written with the listing, in its transaction.
    (for_fgw,) = await deliveries_of(session, fgw["id"])
    (for_czt,) = await deliveries_of(session, czt["id"])
    assert for_fgw.message_id == for_czt.message_id
    assert (for_fgw.state, for_fgw.event_type) == ("pending", "listing.listed")

    # The registered job, with the app's own HTTP client.
    assert await run_job(sessionmaker, job_named("webhooks.deliver")) == "ok"

    assert zjt_receiver.received == []
    for receiver, endpoint in ((fgw_receiver, fgw), (czt_receiver, czt)):
        (got,) = receiver.received
        assert got.headers["webhook-id"] == for_fgw.message_id
        assert got.headers["content-type"] == "application/json"
        assert abs(int(got.headers["webhook-timestamp"]) - utcnow().timestamp()) < 60
        assert verify_standard_webhook(endpoint["secret"], got.headers, got.body)
        assert not verify_standard_webhook(endpoint["secret"], got.headers, got.body + b" ")
        event = json.loads(got.body)
        assert event["type"] == "listing.listed"
        assert datetime.fromisoformat(event["timestamp"])
        assert event["data"]["listing"]["listing_id"] == str(listing.id)
        assert event["data"]["listing"]["uscc"] == listing.enterprise_uscc
    (delivered,) = await deliveries_of(session, fgw["id"])
    assert (delivered.state, delivered.attempts, delivered.last_status) == ("delivered", 1, 200)
    # The run did something, so it was recorded.
    async with sessionmaker() as fresh:
        runs = (
            await fresh.exec(select(JobRun).where(col(JobRun.job_name) == "webhooks.deliver"))
        ).all()
    assert [r.detail for r in runs] == [
        "claimed 2, delivered 2, retrying 0, failed 0, endpoints disabled 0"
    ]


async def test_an_idle_delivery_run_is_not_recorded(
    app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    assert await run_job(sessionmaker, job_named("webhooks.deliver")) == "ok"
    async with sessionmaker() as session:
        assert (await session.exec(select(JobRun))).all() == []


async def test_a_failing_receiver_is_retried_with_backoff_disabled_re_enabled_and_replayed(
    app: FastAPI,
    client: httpx.AsyncClient,
    keys: Keys,
    session: AsyncSession,
    receivers: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock(monkeypatch)
    receiver = await receivers(status=500)
    fgw = await keys.headers(Role.DEPARTMENT, department=FGW)
    endpoint = await register(client, fgw, receiver.url)
    await make_listing(session)
    http: httpx.AsyncClient = app.state.http
    cfg = config(disable_after=3)

    waits = []
    for attempt in (1, 2, 3):
        summary = await deliver_due(session, http, cfg)
        assert summary.claimed == 1
        (pending,) = await deliveries_of(session, endpoint["id"])
        # Not due again before its backoff has passed.
        assert (await deliver_due(session, http, cfg)).claimed == 0
        attempts = (
            await session.exec(
                select(WebhookAttempt)
                .where(col(WebhookAttempt.delivery_id) == pending.id)
                .order_by(col(WebhookAttempt.id))
            )
        ).all()
        waits.append((pending.next_attempt_at - attempts[-1].attempted_at).total_seconds())
        if attempt < 3:
            clock.move_to(pending.next_attempt_at)

    assert len(receiver.received) == 3
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    # 5 s then 10 s (less up to a fifth of jitter); after the third failure the endpoint is
    # disabled and the delivery held until its retry period ends.
    assert 4.0 <= waits[0] <= 5.1
    assert 8.0 <= waits[1] <= 10.1
    assert pending.state == "pending"
    assert pending.next_attempt_at == pending.give_up_at
    assert (pending.attempts, pending.last_status, pending.last_error) == (3, 500, "HTTP 500")

    shown = (await client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=fgw)).json()
    assert shown["state"] == "disabled"
    assert shown["disabled_reason"] == "3 failed attempts in a row"
    assert shown["failure_streak"] == 3
    detail = (
        await client.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries/{pending.id}", headers=fgw)
    ).json()
    assert [a["status_code"] for a in detail["attempt_log"]] == [500, 500, 500]
    assert all(a["duration_ms"] >= 0 for a in detail["attempt_log"])

    # While disabled: nothing is sent, and a new change is held for the endpoint too.
    await make_listing(session)
    assert (await deliver_due(session, http, cfg)).claimed == 0
    assert len(await deliveries_of(session, endpoint["id"])) == 2

    # The department fixes its receiver and re-enables: what it missed arrives.
    receiver.status = 204
    enabled = await client.post(f"/api/v1/webhooks/{endpoint['id']}/enable", headers=fgw)
    assert enabled.status_code == 200
    assert (enabled.json()["state"], enabled.json()["failure_streak"]) == ("active", 0)
    assert enabled.json()["disabled_at"] is None
    summary = await deliver_due(session, http, cfg)
    assert summary.delivered == 2
    assert [d.state for d in await deliveries_of(session, endpoint["id"])] == [
        "delivered",
        "delivered",
    ]

    # Replay by id: the same message id and the same body again.
    first_body = receiver.received[0].body
    replayed = await client.post(
        f"/api/v1/webhooks/{endpoint['id']}/deliveries/{pending.id}/replay", headers=fgw
    )
    assert replayed.status_code == 202
    copy = replayed.json()
    assert (copy["message_id"], copy["replay_of"], copy["state"]) == (
        pending.message_id,
        str(pending.id),
        "pending",
    )
    assert (await deliver_due(session, http, cfg)).delivered == 1
    again = receiver.received[-1]
    assert again.headers["webhook-id"] == pending.message_id
    assert again.body == first_body
    assert verify_standard_webhook(endpoint["secret"], again.headers, again.body)


async def test_a_delivery_still_failing_at_the_end_of_its_retry_period_fails(
    app: FastAPI,
    client: httpx.AsyncClient,
    keys: Keys,
    session: AsyncSession,
    receivers: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock(monkeypatch)
    receiver = await receivers(status=503)
    fgw = await keys.headers(Role.DEPARTMENT, department=FGW)
    endpoint = await register(client, fgw, receiver.url)
    await make_listing(session)
    http: httpx.AsyncClient = app.state.http
    assert (await deliver_due(session, http, config())).retrying == 1
    (pending,) = await deliveries_of(session, endpoint["id"])
    assert abs(pending.give_up_at - pending.created_at - timedelta(hours=24)) < timedelta(minutes=1)
    clock.move_to(pending.give_up_at - timedelta(seconds=2))
    assert (await deliver_due(session, http, config())).failed == 1
    (failed,) = await deliveries_of(session, endpoint["id"])
    assert (failed.state, failed.attempts) == ("failed", 2)
    listed = await client.get(
        f"/api/v1/webhooks/{endpoint['id']}/deliveries", params={"state": "failed"}, headers=fgw
    )
    assert [d["id"] for d in listed.json()["items"]] == [str(failed.id)]
    none_pending = await client.get(
        f"/api/v1/webhooks/{endpoint['id']}/deliveries", params={"state": "pending"}, headers=fgw
    )
    assert none_pending.json()["items"] == []


async def test_a_claimed_delivery_lost_in_a_crash_is_delivered_after_the_restart(
    app: FastAPI,
    client: httpx.AsyncClient,
    keys: Keys,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    receivers: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock(monkeypatch)
    receiver = await receivers()
    endpoint = await register(
        client, await keys.headers(Role.DEPARTMENT, department=FGW), receiver.url
    )
    await make_listing(session)
    cfg = config()
    # A worker claims the delivery and dies before sending: the claim committed, nothing else.
    async with sessionmaker() as doomed:
        (claimed,) = await delivery.claim(doomed, cfg, RunSummary())
    assert receiver.received == []

    # The restarted service does not send it while the lease runs...
    http: httpx.AsyncClient = app.state.http
    assert (await deliver_due(session, http, cfg)).claimed == 0
    # ...and does once the lease has run out.
    (leased,) = await deliveries_of(session, endpoint["id"])
    clock.move_to(leased.next_attempt_at)
    assert (await deliver_due(session, http, cfg)).delivered == 1
    (got,) = receiver.received
    assert got.headers["webhook-id"] == claimed.message_id
    (done,) = await deliveries_of(session, endpoint["id"])
    assert (done.state, done.attempts) == ("delivered", 1)


async def test_deliveries_are_listed_newest_first_in_pages(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    fgw = await keys.headers(Role.DEPARTMENT, department=FGW)
    endpoint = await register(client, fgw, "http://127.0.0.1:9/")
    for _ in range(3):
        await make_listing(session)
    made = await deliveries_of(session, endpoint["id"])
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (
            await client.get(
                f"/api/v1/webhooks/{endpoint['id']}/deliveries", params=params, headers=fgw
            )
        ).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [str(d.id) for d in reversed(made)]
    bad = await client.get(
        f"/api/v1/webhooks/{endpoint['id']}/deliveries", params={"cursor": "bm9wZQ"}, headers=fgw
    )
    assert_problem(bad, 422, "pagination.cursor_invalid")


async def test_a_disabled_endpoint_holds_its_deliveries_and_cannot_be_replayed_to(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    fgw = await keys.headers(Role.DEPARTMENT, department=FGW)
    endpoint = await register(client, fgw, "http://127.0.0.1:9/")
    await make_listing(session)
    disabled = await client.post(f"/api/v1/webhooks/{endpoint['id']}/disable", headers=fgw)
    assert disabled.json()["state"] == "disabled"
    (held,) = await deliveries_of(session, endpoint["id"])
    assert held.next_attempt_at == held.give_up_at
    replay = await client.post(
        f"/api/v1/webhooks/{endpoint['id']}/deliveries/{held.id}/replay", headers=fgw
    )
    assert_problem(replay, 409, "webhook.endpoint_disabled")
    unknown = await client.get(
        f"/api/v1/webhooks/{endpoint['id']}/deliveries/{uuid.uuid4()}", headers=fgw
    )
    assert_problem(unknown, 404, "webhook.delivery_not_found")


async def test_a_release_published_event_is_delivered_to_its_subscribers(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    from service.webhooks import outbox

    fgw = await keys.headers(Role.DEPARTMENT, department=FGW)
    releases = await register(client, fgw, "http://127.0.0.1:9/", ("release.published",))
    listings = await register(client, fgw, "http://127.0.0.1:9/")
    queued = await outbox.enqueue(
        session, "release.published", {"number": 7}, message_id="msg_release_7"
    )
    await session.commit()
    assert queued == 1
    (sent,) = await deliveries_of(session, releases["id"])
    assert (sent.event_type, sent.payload) == ("release.published", {"number": 7})
    assert await deliveries_of(session, listings["id"]) == []
    assert (await session.get(WebhookEndpoint, uuid.UUID(releases["id"]))) is not None
