"""Factories for test data: each makes a valid row through the service layer (so the audit chain
and the rules apply) and commits it."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import AgencyCreate, Inspector, InspectorCreate, TestingAgency
from models.blacklist import Listing, RemovalReason
from models.common import PlanKind
from models.credit import CreditEvent, CreditEventCreate
from models.enterprise import Enterprise, EnterpriseCreate, Product, ProductCreate
from models.plan import Plan, Sampling, SamplingTask
from models.reference import Department
from models.results import Result, Sample, TestReport
from models.system import Role
from service.auth import create_key, system_principal
from service.blacklist import lifecycle
from service.credit import events as credit_events
from service.db import commit
from service.directory import agencies, enterprises, inspectors, products
from service.uscc import make_uscc

ADMIN = system_principal("factory")
_serial = itertools.count(1)


def new_uscc(region_code: str = "410102") -> str:
    return make_uscc(region_code, f"{next(_serial) + 10_000_000:08d}")


async def make_enterprise(
    session: AsyncSession,
    *,
    region_code: str = "410102",
    name: str | None = None,
    size: str | None = "small",
) -> Enterprise:
    data = EnterpriseCreate.model_validate(
        {
            "uscc": new_uscc(region_code),
            "name": name or f"测试企业{next(_serial)}有限公司",
            "region_code": region_code,
            "size": size,
        }
    )
    enterprise = await enterprises.create_enterprise(session, ADMIN, data)
    await commit(session)
    return enterprise


async def make_product(
    session: AsyncSession,
    enterprise: Enterprise,
    *,
    category_code: str = "0401",
    model: str | None = None,
    brand: str = "牌子",
) -> Product:
    data = ProductCreate(
        category_code=category_code,
        name="电冰箱",
        brand=brand,
        model=model or f"BCD-{next(_serial)}",
        standard="GB 4706.13-2014",
    )
    product = await products.create_product(session, ADMIN, enterprise.uscc, data)
    await commit(session)
    return product


async def make_agency(
    session: AsyncSession,
    *,
    region_code: str = "410100",
    scope: list[str] | None = None,
    valid_from: date = date(2024, 1, 1),
    valid_until: date = date(2030, 12, 31),
) -> TestingAgency:
    n = next(_serial)
    data = AgencyCreate(
        name=f"检验检测中心{n}",
        uscc=new_uscc(region_code),
        cma_number=f"CMA{n:08d}",
        cma_valid_from=valid_from,
        cma_valid_until=valid_until,
        region_code=region_code,
        category_scope=scope or ["04"],
    )
    agency = await agencies.create_agency(session, ADMIN, data)
    await commit(session)
    return agency


async def make_inspector(
    session: AsyncSession, *, department_code: str = "scjg-410100"
) -> Inspector:
    n = next(_serial)
    data = InspectorCreate(
        name=f"执法员{n}", department_code=department_code, certificate_number=f"ZF{n:08d}"
    )
    inspector = await inspectors.create_inspector(session, ADMIN, data)
    await commit(session)
    return inspector


class Keys:
    """Makes API keys and returns the headers that carry them."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def headers(
        self,
        role: Role,
        *,
        department: str | None = None,
        uscc: str | None = None,
        agency: uuid.UUID | None = None,
    ) -> dict[str, str]:
        if role in (Role.REGULATOR, Role.DEPARTMENT) and department is None:
            department = "scjg-410000" if role is Role.REGULATOR else "fgw-410000"
        async with self._sessionmaker() as session:
            _, secret = await create_key(
                session,
                actor=ADMIN,
                role=role,
                name=f"test {role.value}",
                department_code=department,
                enterprise_uscc=uscc,
                agency_id=agency,
            )
            await commit(session)
        return {"Authorization": f"Bearer {secret}"}

    async def admin(self) -> dict[str, str]:
        return await self.headers(Role.ADMIN)


# Request bodies and problem documents for the HTTP tests.


def enterprise_body(region_code: str = "410102", **overrides: object) -> dict[str, object]:
    """A valid POST /enterprises body (the USCC is fresh and passes its checks)."""
    return {
        "uscc": new_uscc(region_code),
        "name": f"接口企业{next(_serial)}有限公司",
        "region_code": region_code,
        **overrides,
    }


def product_body(**overrides: object) -> dict[str, object]:
    return {
        "category_code": "0401",
        "name": "电冰箱",
        "brand": "牌子",
        "model": f"BCD-{next(_serial)}",
        "standard": "GB 4706.13-2014",
        **overrides,
    }


def agency_body(region_code: str = "410100", **overrides: object) -> dict[str, object]:
    n = next(_serial)
    return {
        "name": f"检验检测研究院{n}",
        "uscc": new_uscc(region_code),
        "cma_number": f"CMA{n:08d}",
        "cma_valid_from": "2024-01-01",
        "cma_valid_until": "2030-12-31",
        "region_code": region_code,
        "category_scope": ["04"],
        **overrides,
    }


def inspector_body(department_code: str = "scjg-410100", **overrides: object) -> dict[str, object]:
    n = next(_serial)
    return {
        "name": f"执法员{n}",
        "department_code": department_code,
        "certificate_number": f"ZF{n:08d}",
        **overrides,
    }


PROBLEM_MEMBERS = ("type", "title", "status", "detail", "code")


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem document with this status and code; returns it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert all(member in body for member in PROBLEM_MEMBERS), body
    assert (body["status"], body["code"]) == (status, code), body
    return body


# --- after the draw: a task, its sample, its result -------------------------------------------


@dataclass
class DrawnTask:
    """A task as a draw leaves it: plan (drawn), product, enterprise, agency and two inspectors."""

    plan: Plan
    task: SamplingTask
    product: Product
    enterprise: Enterprise
    agency: TestingAgency
    inspectors: list[Inspector]


async def make_task(
    session: AsyncSession,
    *,
    department_code: str = "scjg-410100",
    kind: PlanKind = PlanKind.ROUTINE,
    period_start: date = date(2026, 1, 1),
    period_end: date = date(2026, 12, 31),
    region_code: str = "410102",
    category_code: str = "0401",
    agency: TestingAgency | None = None,
    product: Product | None = None,
) -> DrawnTask:
    """A task assigned as if drawn, written directly (draws have their own tests)."""
    department = await session.get(Department, department_code)
    assert department is not None
    if product is None:
        enterprise = await make_enterprise(session, region_code=region_code)
        product = await make_product(session, enterprise, category_code=category_code)
    found = await session.get(Enterprise, product.enterprise_uscc)
    assert found is not None
    agency = agency or await make_agency(session, scope=[category_code[:2]])
    staff = [await make_inspector(session, department_code=department_code) for _ in range(2)]
    plan = Plan(
        title="测试计划",
        department_code=department_code,
        level=department.level,
        region_code=department.region_code,
        kind=kind.value,
        period_start=period_start,
        period_end=period_end,
        state="drawn",
    )
    session.add(plan)
    await session.flush()
    task = SamplingTask(
        plan_id=plan.id,
        product_id=product.id,
        enterprise_uscc=product.enterprise_uscc,
        category_code=product.category_code,
        agency_id=agency.id,
        inspector_ids=[i.id for i in staff],
        stratum=f"{category_code}|*",
        draw_order=0,
    )
    session.add(task)
    await commit(session)
    return DrawnTask(plan, task, product, found, agency, staff)


async def make_sample(
    session: AsyncSession,
    drawn: DrawnTask,
    *,
    sampled_on: date = date(2026, 3, 2),
    place_type: str = "production",
) -> Sample:
    """A registered sample (and its six-month sampling record), written directly."""
    department = await session.get(Department, drawn.plan.department_code)
    assert department is not None
    sampling = Sampling(
        product_id=drawn.product.id,
        task_id=drawn.task.id,
        department_code=department.code,
        level=department.level,
        region_code=department.region_code,
        plan_kind=drawn.plan.kind,
        sampled_on=sampled_on,
    )
    session.add(sampling)
    await session.flush()
    sample = Sample(
        task_id=drawn.task.id,
        agency_id=drawn.agency.id,
        sampling_id=sampling.id,
        sample_number=f"CY{next(_serial):08d}",
        sampled_on=sampled_on,
        place_type=place_type,
        place_name="企业成品库",
        quantity_unit="台",
        inspection_quantity=2,
        backup_quantity=2,
        backup_holder="企业",
        sampler_ids=[i.id for i in drawn.inspectors],
        e_commerce=(
            {
                "shop": "某旗舰店",
                "order_number": "O1",
                "paying_account": "acct",
                "delivery_address": "郑州市",
                "evidence": [{"ref": "evidence/1.png"}],
            }
            if place_type == "e_commerce"
            else None
        ),
    )
    session.add(sample)
    drawn.task.state = "sampled"
    await commit(session)
    return sample


def report_items(*, failing: int = 0, serious: bool = False) -> list[dict[str, Any]]:
    """Three test items, the first `failing` of which fail."""
    items = []
    for n, (name, clause) in enumerate(
        [
            ("耗电量", "GB 12021.2-2015 4.2"),
            ("噪声", "GB 4706.1-2005 5.1"),
            ("标志和说明", "GB 4706.1-2005 7.1"),
        ]
    ):
        fails = n < failing
        items.append(
            {
                "name": name,
                "standard_clause": clause,
                "requirement": "≤ 0.50",
                "measured_value": "0.62" if fails else "0.45",
                "unit": "kWh/24h",
                "verdict": "fail" if fails else "pass",
                "severity": ("serious" if serious else "general") if fails else None,
            }
        )
    return items


async def make_result(
    session: AsyncSession,
    drawn: DrawnTask,
    *,
    verdict: str = "conforming",
    state: str = "notified",
    notified_on: date = date(2026, 3, 20),
    window_ends_on: date = date(2026, 4, 7),
    final_on: date | None = None,
) -> Result:
    """A result with its original report, written directly, in the given state."""
    sample = await make_sample(session, drawn)
    items = report_items(failing=1 if verdict == "nonconforming" else 0)
    report = TestReport(
        agency_id=drawn.agency.id,
        report_number=f"BG{next(_serial):08d}",
        kind="original",
        sample_id=sample.id,
        issued_on=notified_on,
        verdict=verdict,
        items=items,
        content_digest="0" * 64,
    )
    session.add(report)
    await session.flush()
    result = Result(
        sample_id=sample.id,
        task_id=drawn.task.id,
        plan_id=drawn.plan.id,
        product_id=drawn.product.id,
        enterprise_uscc=drawn.enterprise.uscc,
        organiser_code=drawn.plan.department_code,
        plan_level=drawn.plan.level,
        plan_kind=drawn.plan.kind,
        category_code=drawn.product.category_code,
        region_code=drawn.enterprise.region_code,
        place_type=sample.place_type,
        enterprise_size=drawn.enterprise.size,
        agency_id=drawn.agency.id,
        sampled_on=sample.sampled_on,
        original_report_id=report.id,
        report_id=report.id,
        verdict=verdict,
        state=state,
        notified_on=notified_on,
        objection_window_ends_on=window_ends_on,
        final_on=final_on or (window_ends_on if state == "final" else None),
        published_on=final_on or (window_ends_on if state == "final" else None),
    )
    session.add(result)
    await commit(session)
    return result


async def make_penalty(
    session: AsyncSession,
    enterprise: Enterprise,
    *,
    on: date = date(2026, 3, 2),
    kind: str = "licence_revocation",
    department_code: str = "scjg-410000",
) -> CreditEvent:
    """A heavier administrative penalty (较重行政处罚) in the enterprise's credit file, posted the
    way a market regulator posts it."""
    data = CreditEventCreate.model_validate(
        {
            "type": "administrative_penalty",
            "occurred_on": on.isoformat(),
            "reference": f"豫市监罚〔2026〕{next(_serial)}号",
            "severity": "heavier",
            "penalty_kind": kind,
            "department_code": department_code,
        }
    )
    posted = await credit_events.post_event(session, ADMIN, enterprise.uscc, data, today=on)
    await commit(session)
    return posted.event


async def make_listing(
    session: AsyncSession,
    enterprise: Enterprise | None = None,
    *,
    listed_on: date = date(2026, 4, 1),
    department_code: str = "scjg-410000",
) -> Listing:
    """An enterprise on the blacklist from `listed_on`, resting on a heavier penalty, its
    procedure already behind it (written directly; the procedure has tests of its own)."""
    enterprise = enterprise or await make_enterprise(session)
    penalty = await make_penalty(
        session, enterprise, on=listed_on - timedelta(days=30), department_code=department_code
    )
    listing = Listing(
        enterprise_uscc=enterprise.uscc,
        criteria_version="factory",
        criteria=["heavier_penalty"],
        evidence=[{"credit_event_id": str(penalty.id), "criterion": "heavier_penalty"}],
        reason="因产品质量安全违法行为受到较重行政处罚",
        legal_basis="《市场监督管理严重违法失信名单管理办法》第二条",
        department_code=department_code,
        proposed_on=listed_on - timedelta(days=20),
        proposed_by="factory",
        decided_on=listed_on,
        decided_by="factory",
        decision_reference=f"豫市监列〔2026〕{next(_serial)}号",
    )
    session.add(listing)
    await lifecycle.take_effect(session, listing, on=listed_on, actor=ADMIN.actor)
    await commit(session)
    return listing


async def remove_listing(
    session: AsyncSession,
    listing: Listing,
    *,
    on: date,
    reason: RemovalReason = RemovalReason.EARLY_REMOVAL,
) -> Listing:
    await lifecycle.remove(session, listing, on=on, reason=reason, note=None, actor=ADMIN.actor)
    await commit(session)
    return listing
