"""The release endpoints: the public key for anyone, publishing for admins and provincial or
national regulators only, releases readable with any key (departments consume them), and the
4xx answers."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.system import Role
from service.blacklist import signing
from service.blacklist.config import get_blacklist_settings
from tests.factories import Keys, assert_problem, make_listing

API = "/api/v1"
TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def signing_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "release-signing-key.pem"
    monkeypatch.setenv("QCS_BLACKLIST_SIGNING_KEY_FILE", str(path))
    monkeypatch.setattr("service.clock.today", lambda: TODAY)
    get_blacklist_settings.cache_clear()
    yield path
    get_blacklist_settings.cache_clear()


async def test_the_public_key_needs_no_api_key(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/releases/public-key")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["algorithm"] == "Ed25519"
    assert len(base64.b64decode(body["public_key"])) == 32
    again = await client.get(f"{API}/releases/public-key")
    assert again.json() == body


async def test_a_provincial_regulator_publishes_and_departments_read_and_verify(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    listing = await make_listing(session)
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410000")
    published = await client.post(f"{API}/releases", headers=regulator)
    assert published.status_code == 201, published.text
    release = published.json()
    assert (release["number"], release["prev_release_hash"]) == (1, None)
    assert release["as_of"] == TODAY.isoformat()
    active = json.loads(release["canonical"])["active"]
    assert [entry["listing_id"] for entry in active] == [str(listing.id)]

    department = await keys.headers(Role.DEPARTMENT, department="czt-410000")
    key = (await client.get(f"{API}/releases/public-key")).json()["public_key"]
    for path in ("/releases/1", "/releases/latest"):
        read = await client.get(f"{API}{path}", headers=department)
        assert read.status_code == 200, read.text
        assert read.json() == release
    assert signing.verify(key, release["canonical"].encode("utf-8"), release["signature"])

    national = await keys.headers(Role.REGULATOR, department="samr-000000")
    second = await client.post(f"{API}/releases", headers=national)
    assert second.status_code == 201, second.text
    assert second.json()["prev_release_hash"] == release["release_hash"]


async def test_the_list_is_newest_first_and_leaves_out_the_signed_text(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    admin = await keys.admin()
    for _ in range(3):
        assert (await client.post(f"{API}/releases", headers=admin)).status_code == 201
    department = await keys.headers(Role.DEPARTMENT)
    first = await client.get(f"{API}/releases", params={"limit": 2}, headers=department)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [r["number"] for r in page["items"]] == [3, 2]
    assert all("canonical" not in r and "signature" not in r for r in page["items"])
    rest = await client.get(
        f"{API}/releases", params={"limit": 2, "cursor": page["next_cursor"]}, headers=department
    )
    assert [r["number"] for r in rest.json()["items"]] == [1]
    assert rest.json()["next_cursor"] is None


async def test_department_keys_and_lower_level_regulators_cannot_publish(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    department = await keys.headers(Role.DEPARTMENT, department="fgw-410000")
    assert_problem(
        await client.post(f"{API}/releases", headers=department), 403, "auth.role_forbidden"
    )
    municipal = await keys.headers(Role.REGULATOR, department="scjg-410100")
    assert_problem(
        await client.post(f"{API}/releases", headers=municipal), 403, "release.publisher_level"
    )
    assert_problem(await client.post(f"{API}/releases"), 401, "auth.missing")
    admin = await keys.admin()
    latest = await client.get(f"{API}/releases/latest", headers=admin)
    assert_problem(latest, 404, "release.not_found")


async def test_unknown_releases_and_bad_parameters(client: httpx.AsyncClient, keys: Keys) -> None:
    admin = await keys.admin()
    assert (await client.post(f"{API}/releases", headers=admin)).status_code == 201
    assert_problem(await client.get(f"{API}/releases/99", headers=admin), 404, "release.not_found")
    assert (await client.get(f"{API}/releases/0", headers=admin)).status_code == 422
    assert_problem(
        await client.get(f"{API}/releases", params={"cursor": "bm9wZQ"}, headers=admin),
        422,
        "pagination.cursor_invalid",
    )
    assert_problem(await client.get(f"{API}/releases/1"), 401, "auth.missing")
