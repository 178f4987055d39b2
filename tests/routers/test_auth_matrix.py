"""Who may call which directory endpoint: every route against no key, a bogus key and a key of
each role. The table below is written from the `require_roles` aliases in service/auth.py."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from sqlmodel import col, update
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import TestingAgency
from models.reference import Department
from models.system import ApiKey, Role
from service.app import API_PREFIX, create_app
from service.auth import hash_key
from service.config import Settings
from tests.factories import (
    Keys,
    agency_body,
    assert_problem,
    enterprise_body,
    inspector_body,
    make_agency,
    make_enterprise,
    make_inspector,
    make_product,
    product_body,
)

A, R, G, E, D = Role.ADMIN, Role.REGULATOR, Role.AGENCY, Role.ENTERPRISE, Role.DEPARTMENT

ANY_KEY = frozenset(Role)  # CurrentPrincipal
ENTERPRISE_READER = frozenset({A, R, G, D, E})  # EnterpriseReader
DIRECTORY_READER = frozenset({A, R, G, D})  # DirectoryReader
REGULATOR = frozenset({A, R})  # RegulatorPrincipal
ADMIN = frozenset({A})  # AdminPrincipal

# fmt: off
MATRIX: list[tuple[str, str, frozenset[Role]]] = [
    # method   path                                  who may call
    ("GET",   "/regions",                            ANY_KEY),
    ("GET",   "/regions/{region}",                   ANY_KEY),
    ("GET",   "/product-categories",                 ANY_KEY),
    ("GET",   "/product-categories/{category}",      ANY_KEY),
    ("GET",   "/departments",                        ANY_KEY),
    ("POST",  "/departments",                        ADMIN),
    ("GET",   "/departments/{department}",           ANY_KEY),
    ("PATCH", "/departments/{department}",           ADMIN),
    ("GET",   "/enterprises",                        ENTERPRISE_READER),
    ("POST",  "/enterprises",                        REGULATOR),
    ("GET",   "/enterprises/{uscc}",                 ENTERPRISE_READER),
    ("PATCH", "/enterprises/{uscc}",                 REGULATOR),
    ("POST",  "/enterprises:import",                 REGULATOR),
    ("GET",   "/enterprises/{uscc}/products",        ENTERPRISE_READER),
    ("POST",  "/enterprises/{uscc}/products",        REGULATOR),
    ("GET",   "/products/{product_id}",              ENTERPRISE_READER),
    ("PATCH", "/products/{product_id}",              REGULATOR),
    ("POST",  "/products:import",                    REGULATOR),
    ("GET",   "/agencies",                           DIRECTORY_READER),
    ("POST",  "/agencies",                           REGULATOR),
    ("GET",   "/agencies/{agency_id}",               DIRECTORY_READER),
    ("PATCH", "/agencies/{agency_id}",               REGULATOR),
    ("GET",   "/inspectors",                         REGULATOR),
    ("POST",  "/inspectors",                         REGULATOR),
    ("GET",   "/inspectors/{inspector_id}",          REGULATOR),
    ("PATCH", "/inspectors/{inspector_id}",          REGULATOR),
    ("POST",  "/inspectors/{inspector_id}/conflicts", REGULATOR),
    ("POST",  "/keys",                               ADMIN),
    ("GET",   "/audit/verify",                       ADMIN),
]
# fmt: on

ROUTER_TAGS = {"reference", "departments", "enterprises", "agencies", "inspectors", "admin"}


@dataclass
class World:
    """One row of each kind, inside the municipal regulator's city, and a key for every role."""

    values: dict[str, str]
    headers: dict[Role, dict[str, str]]

    def url(self, path: str) -> str:
        return API_PREFIX + path.format(**self.values)

    def body(self, method: str, path: str) -> dict[str, object] | None:
        # Valid, in-scope bodies, so an allowed role can only fail for reasons other than auth.
        bodies: dict[str, dict[str, object]] = {
            "/departments": {
                "code": "scjg-410102",
                "name": "中原区市场监督管理局",
                "level": "county",
                "is_market_regulator": True,
            },
            "/departments/{department}": {"name": "河南省发展和改革委员会"},
            "/enterprises": enterprise_body("410102"),
            "/enterprises/{uscc}": {"size": "medium"},
            "/enterprises/{uscc}/products": product_body(),
            "/products/{product_id}": {"name": "双门电冰箱"},
            "/agencies": agency_body("410100"),
            "/agencies/{agency_id}": {"name": "郑州检验中心"},
            "/inspectors": inspector_body("scjg-410100"),
            "/inspectors/{inspector_id}": {"specialities": ["0401"]},
            "/inspectors/{inspector_id}/conflicts": {
                "enterprise_uscc": self.values["uscc"],
                "reason": "亲属在该企业任职",
            },
            "/keys": {"role": "admin", "name": "另一个管理员"},
        }
        # The bulk imports take CSV or NDJSON; without a body an allowed role gets 415.
        return bodies.get(path) if method in ("POST", "PATCH") else None


@pytest.fixture
async def world(session: AsyncSession, keys: Keys) -> World:
    enterprise = await make_enterprise(session, region_code="410102")
    product = await make_product(session, enterprise)
    agency = await make_agency(session, region_code="410100")
    inspector = await make_inspector(session, department_code="scjg-410100")
    values = {
        "region": "410102",
        "category": "0401",
        "department": "fgw-410000",
        "uscc": enterprise.uscc,
        "product_id": str(product.id),
        "agency_id": str(agency.id),
        "inspector_id": str(inspector.id),
    }
    headers = {
        A: await keys.admin(),
        R: await keys.headers(R, department="scjg-410100"),
        G: await keys.headers(G, agency=agency.id),
        E: await keys.headers(E, uscc=enterprise.uscc),
        D: await keys.headers(D, department="fgw-410000"),
    }
    return World(values, headers)


@pytest.mark.parametrize(
    ("method", "path", "allowed"), MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX]
)
async def test_each_role_gets_exactly_the_access_its_alias_grants(
    client: httpx.AsyncClient, world: World, method: str, path: str, allowed: frozenset[Role]
) -> None:
    url, body = world.url(path), world.body(method, path)

    missing = await client.request(method, url, json=body)
    assert_problem(missing, 401, "auth.missing")
    assert missing.headers["www-authenticate"] == "Bearer"

    bogus = await client.request(
        method, url, json=body, headers={"Authorization": "Bearer qcs_not-a-key"}
    )
    assert_problem(bogus, 401, "auth.invalid")
    assert bogus.headers["www-authenticate"] == "Bearer"

    for role in Role:
        response = await client.request(method, url, json=body, headers=world.headers[role])
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert_problem(response, 403, "auth.role_forbidden")


def test_the_matrix_lists_every_directory_and_admin_route() -> None:
    app = create_app(Settings(database_url="postgresql+asyncpg://unused/unused", scheduler=False))
    served = {
        (method.upper(), path.removeprefix(API_PREFIX))
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
        if operation["tags"][0] in ROUTER_TAGS
    }
    listed = {(method, _shape(path)) for method, path, _ in MATRIX}
    assert served == listed, f"add to MATRIX: {served - listed}; gone: {listed - served}"


def _shape(path: str) -> str:
    """The table names path parameters after the world's values; the app after its own."""
    return path.format_map(_SERVED_PARAMETER_NAMES)


_SERVED_PARAMETER_NAMES = {
    "region": "{code}",
    "category": "{code}",
    "department": "{code}",
    "uscc": "{uscc}",
    "product_id": "{product_id}",
    "agency_id": "{agency_id}",
    "inspector_id": "{inspector_id}",
}


async def test_a_revoked_key_is_refused_as_invalid(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    headers = await keys.admin()
    assert (await client.get("/api/v1/regions", headers=headers)).status_code == 200

    secret = headers["Authorization"].removeprefix("Bearer ")
    await session.exec(
        update(ApiKey)
        .where(col(ApiKey.key_hash) == hash_key(secret))
        .values(revoked_at=datetime.now(UTC))
    )
    await session.commit()

    response = await client.get("/api/v1/regions", headers=headers)
    assert_problem(response, 401, "auth.invalid")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "qcs_no-scheme", "Token abc"],
)
async def test_an_authorization_header_that_carries_no_bearer_key_counts_as_missing(
    client: httpx.AsyncClient, authorization: str
) -> None:
    response = await client.get("/api/v1/regions", headers={"Authorization": authorization})
    assert_problem(response, 401, "auth.missing")


async def test_a_key_is_never_accepted_in_the_query_string(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    secret = (await keys.admin())["Authorization"].removeprefix("Bearer ")
    for name in ("key", "api_key", "access_token"):
        response = await client.get("/api/v1/regions", params={name: secret})
        assert_problem(response, 401, "auth.missing")


async def test_a_bogus_key_of_the_right_shape_is_invalid_not_a_lookup_error(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/api/v1/regions", headers={"Authorization": f"Bearer qcs_{uuid.uuid4().hex}"}
    )
    assert_problem(response, 401, "auth.invalid")


async def test_keys_of_a_deactivated_department_or_agency_no_longer_act(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    agency = await make_agency(session)
    await session.commit()
    department = await keys.headers(Role.DEPARTMENT, department="fgw-410000")
    agency_key = await keys.headers(Role.AGENCY, agency=agency.id)
    for headers in (department, agency_key):
        assert (await client.get("/api/v1/regions", headers=headers)).status_code == 200

    await session.exec(
        update(Department).where(col(Department.code) == "fgw-410000").values(active=False)
    )
    await session.exec(
        update(TestingAgency).where(col(TestingAgency.id) == agency.id).values(active=False)
    )
    await session.commit()

    for headers in (department, agency_key):
        assert_problem(await client.get("/api/v1/regions", headers=headers), 401, "auth.invalid")
