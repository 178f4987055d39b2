"""Demo blacklist: listings in every state of the procedure as of `DEMO_AS_OF`, made through the
service's own procedure functions on the days they would have happened, so the feed, the
credit files, the audit trail and the event log all agree:

- a Henan enterprise listed by the provincial bureau in March 2026 (in force);
- a Henan enterprise listed in 2025 and removed early in 2026 after its credit repair;
- a Zhengzhou enterprise noticed two days ago, its statement window still open;
- a Wuhan decision waiting for the Hubei bureau's consent;
- a Henan enterprise whose procedure was dropped after its statement."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import Listing
from models.credit import CreditEventCreate
from models.enterprise import Enterprise
from models.listings_api import (
    DecisionCreate,
    DecisionKind,
    ListingCreate,
    NoticeCreate,
    RemovalApplicationCreate,
    RemovalDecisionCreate,
    RemovalDecisionKind,
    StatementCreate,
)
from models.reference import Department, Region
from models.system import Role
from service.auth import Principal, system_principal
from service.blacklist import procedure, repair
from service.credit import events
from service.directory.reference import regions_inside

ADMIN = system_principal("demo")


async def _regulator(session: AsyncSession, code: str) -> Principal:
    department = await session.get(Department, code)
    assert department is not None  # noqa: S101 - seeded reference data
    region = await session.get(Region, department.region_code)
    assert region is not None  # noqa: S101
    return Principal(
        role=Role.REGULATOR,
        name=f"demo {code}",
        department_code=code,
        department_level=department.level,
        region_code=region.code,
        region_path=region.path,
    )


async def _enterprises(session: AsyncSession, region_code: str, count: int) -> list[Enterprise]:
    region = await session.get(Region, region_code)
    assert region is not None  # noqa: S101
    rows = await session.exec(
        select(Enterprise)
        .where(
            col(Enterprise.region_code).in_(regions_inside(region.path)),
            col(Enterprise.active),
        )
        .order_by(col(Enterprise.uscc))
        .limit(count)
    )
    return list(rows.all())


async def _penalty(session: AsyncSession, enterprise: Enterprise, on: date, code: str) -> None:
    prefix = {"scjg-410000": "豫市监", "scjg-410100": "郑市监", "scjg-420100": "汉市监"}[code]
    data = CreditEventCreate.model_validate(
        {
            "type": "administrative_penalty",
            "occurred_on": on,
            "reference": f"{prefix}罚〔{on.year}〕{enterprise.uscc[-6:]}号",
            "severity": "heavier",
            "penalty_kind": "production_suspension",
            "summary": "生产销售不符合强制性国家标准的产品，情节严重",
            "department_code": code,
        }
    )
    await events.post_event(session, ADMIN, enterprise.uscc, data, today=on)


async def _noticed(
    session: AsyncSession, regulator: Principal, enterprise: Enterprise, on: date
) -> Listing:
    listing = await procedure.propose(
        session, regulator, ListingCreate(uscc=enterprise.uscc), today=on
    )
    notice = NoticeCreate(notice_reference=f"告知〔{on.year}〕{enterprise.uscc[-4:]}号")
    return await procedure.serve_notice(session, regulator, listing.id, notice, today=on)


def _decision(kind: DecisionKind, on: date, uscc: str) -> DecisionCreate:
    return DecisionCreate(
        decision=kind,
        decision_reference=f"决定〔{on.year}〕{uscc[-4:]}号",
        reason="经审查，当事人陈述申辩理由不成立"
        if kind is DecisionKind.LIST
        else "当事人已消除危害",
    )


async def load_demo_blacklist(session: AsyncSession) -> dict[str, int]:
    henan = await _regulator(session, "scjg-410000")
    zhengzhou = await _regulator(session, "scjg-410100")
    wuhan = await _regulator(session, "scjg-420100")
    listed, repaired, dropped = await _enterprises(session, "410300", 3)
    (pending,) = await _enterprises(session, "410100", 1)
    (consent,) = await _enterprises(session, "420100", 1)

    await _penalty(session, listed, date(2026, 1, 15), "scjg-410000")
    listing = await _noticed(session, henan, listed, date(2026, 2, 2))
    decision = _decision(DecisionKind.LIST, date(2026, 3, 2), listed.uscc)
    await procedure.decide(session, henan, listing.id, decision, today=date(2026, 3, 2))

    await _penalty(session, repaired, date(2025, 4, 10), "scjg-410000")
    listing = await _noticed(session, henan, repaired, date(2025, 5, 6))
    decision = _decision(DecisionKind.LIST, date(2025, 5, 20), repaired.uscc)
    await procedure.decide(session, henan, listing.id, decision, today=date(2025, 5, 20))
    owner = Principal(role=Role.ENTERPRISE, name="demo", enterprise_uscc=repaired.uscc)
    application = await repair.apply(
        session,
        owner,
        listing.id,
        RemovalApplicationCreate(
            penalty_fulfilled=True,
            harm_removed=True,
            no_new_heavier_penalty=True,
            commitment_letter_reference=f"承诺〔2026〕{repaired.uscc[-4:]}号",
        ),
        today=date(2026, 6, 1),
    )
    approval = RemovalDecisionCreate(decision=RemovalDecisionKind.APPROVE, reason="信用修复完成")
    await repair.decide(session, henan, application.id, approval, today=date(2026, 6, 10))

    await _penalty(session, dropped, date(2026, 8, 3), "scjg-410000")
    listing = await _noticed(session, henan, dropped, date(2026, 9, 1))
    mine = Principal(role=Role.ENTERPRISE, name="demo", enterprise_uscc=dropped.uscc)
    statement = StatementCreate(statement="已召回全部问题产品并赔偿消费者")
    await procedure.submit_statement(session, mine, listing.id, statement, today=date(2026, 9, 3))
    decision = _decision(DecisionKind.DROP, date(2026, 9, 15), dropped.uscc)
    await procedure.decide(session, henan, listing.id, decision, today=date(2026, 9, 15))

    await _penalty(session, pending, date(2026, 10, 20), "scjg-410100")
    await _noticed(session, zhengzhou, pending, date(2026, 11, 19))

    await _penalty(session, consent, date(2026, 9, 7), "scjg-420100")
    listing = await _noticed(session, wuhan, consent, date(2026, 10, 12))
    decision = _decision(DecisionKind.LIST, date(2026, 11, 2), consent.uscc)
    await procedure.decide(session, wuhan, listing.id, decision, today=date(2026, 11, 2))
    # The Hubei bureau's consent is left for whoever explores the demo.
    rows = (await session.exec(select(Listing.state))).all()
    return {state: list(rows).count(state) for state in sorted(set(rows))}
