"""Signed releases (定期公布): release N holds the complete active list, the additions and removals
since N−1 and the hash of N−1; it is signed with the Ed25519 key, tampering is detected, two
publishers at once get consecutive numbers, and the signing key is made once, private."""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import Listing, Release, WebhookDelivery, WebhookEndpoint
from models.system import AuditEntry
from service.blacklist import releases, signing
from service.blacklist.config import get_blacklist_settings
from service.canonical import sha256_hex
from service.db import commit
from tests.factories import make_enterprise, make_listing, remove_listing

ACTOR = "test:releases"


@pytest.fixture(autouse=True)
def signing_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "keys" / "release-signing-key.pem"
    monkeypatch.setenv("QCS_BLACKLIST_SIGNING_KEY_FILE", str(path))
    get_blacklist_settings.cache_clear()
    yield path
    get_blacklist_settings.cache_clear()


async def publish(session: AsyncSession, today: date) -> Release:
    release = await releases.publish_release(session, today=today, actor=ACTOR)
    await commit(session)
    return release


def content(release: Release) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(release.canonical)
    return document


def listing_ids(entries: list[dict[str, Any]]) -> set[str]:
    return {entry["listing_id"] for entry in entries}


async def test_release_two_chains_to_release_one_with_the_additions_and_removals_between(
    session: AsyncSession,
) -> None:
    first = await make_listing(session, listed_on=date(2026, 1, 5))
    second = await make_listing(session, listed_on=date(2026, 2, 3))
    # A procedure still running is not on the list.
    pending = await make_enterprise(session)
    session.add(
        Listing(
            enterprise_uscc=pending.uscc,
            criteria_version="test",
            criteria=["heavier_penalty"],
            evidence=[],
            reason="待决定",
            legal_basis="《市场监督管理严重违法失信名单管理办法》第二条",
            department_code="scjg-410000",
            proposed_on=date(2026, 2, 10),
            proposed_by=ACTOR,
        )
    )
    await session.commit()

    one = await publish(session, date(2026, 3, 1))
    assert (one.number, one.prev_release_hash) == (1, None)
    doc = content(one)
    assert (
        listing_ids(doc["active"])
        == listing_ids(doc["additions"])
        == {
            str(first.id),
            str(second.id),
        }
    )
    assert doc["removals"] == []
    assert (one.active_count, one.additions, one.removals) == (2, 2, 0)
    entry = next(e for e in doc["active"] if e["listing_id"] == str(first.id))
    assert entry == {
        "uscc": first.enterprise_uscc,
        "enterprise_name": entry["enterprise_name"],
        "listing_id": str(first.id),
        "listed_on": "2026-01-05",
        "ends_on": "2029-01-05",
        "reason": first.reason,
        "legal_basis": first.legal_basis,
        "department_code": "scjg-410000",
        "decision_reference": first.decision_reference,
    }
    assert entry["enterprise_name"].startswith("测试企业")

    await remove_listing(session, second, on=date(2026, 3, 10))
    third = await make_listing(session, listed_on=date(2026, 3, 15))
    two = await publish(session, date(2026, 4, 1))
    doc = content(two)
    assert two.number == 2
    assert two.prev_release_hash == doc["prev_release_hash"] == sha256_hex(one.canonical.encode())
    assert two.release_hash == sha256_hex(two.canonical.encode())
    assert listing_ids(doc["active"]) == {str(first.id), str(third.id)}
    assert listing_ids(doc["additions"]) == {str(third.id)}
    assert [(r["listing_id"], r["removed_on"], r["removal_reason"]) for r in doc["removals"]] == [
        (str(second.id), "2026-03-10", "early_removal")
    ]
    assert doc["up_to_seq"] == two.up_to_seq > one.up_to_seq


async def test_the_signature_verifies_with_the_public_key_and_tampering_is_detected(
    session: AsyncSession, signing_key_file: Path
) -> None:
    await make_listing(session)
    release = await publish(session, date(2026, 5, 1))
    public_key = signing.public_key_b64(signing.load_key(signing_key_file))
    assert release.public_key == public_key
    signed = release.canonical.encode("utf-8")
    # The stored text is canonical: re-encoding its content gives the same bytes.
    again = json.dumps(content(release), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert again.encode("utf-8") == signed
    assert signing.verify(public_key, signed, release.signature)

    tampered = release.canonical.replace('"number":1', '"number":7').encode("utf-8")
    assert tampered != signed
    assert not signing.verify(public_key, tampered, release.signature)
    other = signing.sign(signing.load_key(signing_key_file), b"another text")
    assert not signing.verify(public_key, signed, other)


async def test_a_release_is_audited_and_announced_to_subscribed_webhooks(
    session: AsyncSession,
) -> None:
    session.add(
        WebhookEndpoint(
            department_code="fgw-410000",
            url="https://fgw.example/hooks",
            event_types=["release.published"],
            secret="whsec_dGVzdA==",
            created_by=ACTOR,
        )
    )
    await session.commit()
    release = await publish(session, date(2026, 5, 1))

    delivery = (await session.exec(select(WebhookDelivery))).one()
    assert (delivery.message_id, delivery.event_type) == ("msg_release_1", "release.published")
    assert delivery.payload["number"] == 1
    assert delivery.payload["release_hash"] == release.release_hash
    audited = (
        await session.exec(select(AuditEntry).where(col(AuditEntry.action) == "release.publish"))
    ).one()
    assert (audited.entity_type, audited.entity_id, audited.actor) == ("release", "1", ACTOR)


async def test_two_publishers_at_once_get_consecutive_numbers_on_one_chain(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        await make_listing(session)

    async def publisher() -> Release:
        async with sessionmaker() as session:
            return await publish(session, date(2026, 5, 1))

    published = await asyncio.gather(*(publisher() for _ in range(3)))
    assert sorted(r.number for r in published) == [1, 2, 3]
    by_number = {r.number: r for r in published}
    assert by_number[1].prev_release_hash is None
    for n in (2, 3):
        assert by_number[n].prev_release_hash == by_number[n - 1].release_hash


def test_the_signing_key_is_created_once_and_readable_only_by_its_owner(
    signing_key_file: Path,
) -> None:
    assert not signing_key_file.exists()
    # Several processes (here threads) starting at once all end up with the one key.
    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(lambda _: signing.public_key_b64(signing.load_key()), range(16)))
    assert len(keys) == 1
    assert stat.S_IMODE(signing_key_file.stat().st_mode) == 0o600
    assert [p.name for p in signing_key_file.parent.iterdir()] == [signing_key_file.name]
    assert signing.public_key_b64(signing.load_key()) in keys


def test_without_a_configured_file_the_key_lives_in_the_data_directory(tmp_path: Path) -> None:
    settings = get_blacklist_settings().model_copy(update={"signing_key_file": None})
    assert signing.key_file(settings, tmp_path) == tmp_path / "release-signing-key.pem"
