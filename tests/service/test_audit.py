"""The audit chain: every write appends a link; editing or deleting any record is detected and
the first bad record is named."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.system import AuditEntry
from service.audit import verify_chain
from service.db import commit
from tests.factories import Keys, make_enterprise


async def _chain_of_five(session: AsyncSession) -> None:
    for _ in range(5):
        await make_enterprise(session)


async def _raw(session: AsyncSession, sql: str) -> None:
    # Tampering happens behind the service's back, as an attacker with SQL access would do it.
    await session.exec(text(sql))  # type: ignore[call-overload]
    await session.commit()


async def test_every_write_appends_one_linked_record(session: AsyncSession) -> None:
    before = (await session.exec(select(func.count()).select_from(AuditEntry))).one()
    await _chain_of_five(session)
    entries = (await session.exec(select(AuditEntry).order_by(col(AuditEntry.seq)))).all()
    assert len(entries) == before + 5
    assert [e.action for e in entries[-5:]] == ["enterprise.create"] * 5
    for previous, entry in zip(entries, entries[1:], strict=False):
        assert entry.prev_hash == previous.hash
    assert (await verify_chain(session)).ok


async def test_an_edited_record_is_named(session: AsyncSession) -> None:
    await _chain_of_five(session)
    last = (await session.exec(select(func.max(AuditEntry.seq)))).one()
    await _raw(session, f"UPDATE audit_log SET actor = 'someone-else' WHERE seq = {last - 2}")  # noqa: S608
    report = await verify_chain(session)
    assert not report.ok
    assert report.first_bad_seq == last - 2
    assert report.problem is not None
    assert "edited" in report.problem


async def test_a_deleted_record_in_the_middle_is_named(session: AsyncSession) -> None:
    await _chain_of_five(session)
    last = (await session.exec(select(func.max(AuditEntry.seq)))).one()
    await _raw(session, f"DELETE FROM audit_log WHERE seq = {last - 1}")  # noqa: S608
    report = await verify_chain(session)
    assert not report.ok
    assert report.first_bad_seq == last - 1


async def test_deleting_the_newest_record_is_detected_through_the_head(
    session: AsyncSession,
) -> None:
    await _chain_of_five(session)
    last = (await session.exec(select(func.max(AuditEntry.seq)))).one()
    await _raw(session, f"DELETE FROM audit_log WHERE seq = {last}")  # noqa: S608
    report = await verify_chain(session)
    assert not report.ok
    assert report.first_bad_seq == last


async def test_a_rewritten_state_digest_with_a_recomputed_own_hash_breaks_the_next_link(
    session: AsyncSession,
) -> None:
    await _chain_of_five(session)
    last = (await session.exec(select(func.max(AuditEntry.seq)))).one()
    await _raw(session, f"UPDATE audit_log SET hash = repeat('a', 64) WHERE seq = {last - 3}")  # noqa: S608
    report = await verify_chain(session)
    assert not report.ok
    assert report.first_bad_seq == last - 3


async def test_a_rolled_back_unit_of_work_leaves_no_trace_in_the_chain(
    session: AsyncSession,
) -> None:
    await make_enterprise(session)
    count = (await session.exec(select(func.count()).select_from(AuditEntry))).one()
    from models.enterprise import EnterpriseCreate
    from service.directory.enterprises import create_enterprise
    from tests.factories import ADMIN, new_uscc

    await create_enterprise(
        session,
        ADMIN,
        EnterpriseCreate(uscc=new_uscc(), name="回滚企业", region_code="410102"),
    )
    await session.rollback()
    await commit(session)
    assert (await session.exec(select(func.count()).select_from(AuditEntry))).one() == count
    assert (await verify_chain(session)).ok


async def test_admins_verify_the_chain_over_http(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    headers = await keys.admin()
    await _chain_of_five(session)
    ok = await client.get("/api/v1/audit/verify", headers=headers)
    assert ok.status_code == 200
    assert ok.json()["ok"] is True
    await _raw(session, "UPDATE audit_log SET entity_id = 'x' WHERE seq = 3")
    broken = (await client.get("/api/v1/audit/verify", headers=headers)).json()
    assert broken["ok"] is False
    assert broken["first_bad_seq"] == 3
