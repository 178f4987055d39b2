"""Factories for test data: each makes a valid row through the service layer (so the audit chain
and the rules apply) and commits it."""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import AgencyCreate, Inspector, InspectorCreate, TestingAgency
from models.enterprise import Enterprise, EnterpriseCreate, Product, ProductCreate
from models.system import Role
from service.auth import create_key, system_principal
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
