"""Authentication (API keys) and the principal every service call is made for.

Keys are shown once and stored as SHA-256: they carry 256 bits of randomness, so a slow hash adds
nothing and a fast lookup by hash keeps authentication to one indexed query per request."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import TestingAgency
from models.enterprise import Enterprise
from models.reference import Department
from models.system import ApiKey, Role
from service import audit
from service.db import SessionDep, driver_connection
from service.errors import Forbidden, InvalidInput, NotAuthenticated

KEY_PREFIX = "qcs_"


@dataclass(frozen=True)
class Principal:
    """Who is calling, with the scope their role is bounded by: a regulator's or department's
    region (through its department), an enterprise's USCC, an agency's id."""

    role: Role
    name: str
    key_id: uuid.UUID | None = None
    department_code: str | None = None
    department_level: str | None = None
    region_code: str | None = None
    region_path: str | None = None
    enterprise_uscc: str | None = None
    agency_id: uuid.UUID | None = None

    @property
    def actor(self) -> str:
        """How the principal appears in the audit log."""
        return (
            f"{self.role.value}:{self.key_id}" if self.key_id else f"{self.role.value}:{self.name}"
        )

    def covers_region(self, region_path: str) -> bool:
        """Whether a region (given by its path) lies inside this principal's region."""
        if self.role is Role.ADMIN:
            return True
        return self.region_path is not None and (
            region_path == self.region_path or region_path.startswith(self.region_path + "/")
        )


def system_principal(name: str) -> Principal:
    """The principal of the CLI, the seeders and scheduled jobs."""
    return Principal(role=Role.ADMIN, name=name)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


async def create_key(
    session: AsyncSession,
    *,
    actor: Principal,
    role: Role,
    name: str,
    department_code: str | None = None,
    enterprise_uscc: str | None = None,
    agency_id: uuid.UUID | None = None,
) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is never stored."""
    needs = {
        Role.REGULATOR: department_code,
        Role.DEPARTMENT: department_code,
        Role.ENTERPRISE: enterprise_uscc,
        Role.AGENCY: agency_id,
    }
    if role in needs and needs[role] is None:
        raise InvalidInput("key.scope_missing", f"a {role.value} key needs its scope")
    if department_code is not None:
        department = await session.get(Department, department_code)
        if department is None:
            raise InvalidInput("department.unknown", f"no department {department_code}")
        if role is Role.REGULATOR and not department.is_market_regulator:
            raise InvalidInput(
                "key.not_a_regulator", f"{department_code} is not a market-regulation department"
            )
    if enterprise_uscc is not None and await session.get(Enterprise, enterprise_uscc) is None:
        raise InvalidInput("enterprise.unknown", f"no enterprise {enterprise_uscc}")
    if agency_id is not None and await session.get(TestingAgency, agency_id) is None:
        raise InvalidInput("agency.unknown", f"no testing agency {agency_id}")

    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        key_hash=hash_key(secret),
        role=role.value,
        department_code=department_code if role in (Role.REGULATOR, Role.DEPARTMENT) else None,
        enterprise_uscc=enterprise_uscc if role is Role.ENTERPRISE else None,
        agency_id=agency_id if role is Role.AGENCY else None,
    )
    session.add(key)
    await session.flush()
    audit.record(
        session,
        actor=actor.actor,
        action="api_key.create",
        entity_type="api_key",
        entity_id=str(key.id),
        state={
            "role": key.role,
            "name": key.name,
            "department_code": key.department_code,
            "enterprise_uscc": key.enterprise_uscc,
            "agency_id": key.agency_id,
        },
    )
    return key, secret


# Every request runs this, so it is one statement on the session's own connection, without the
# ORM's per-entity work. Revoked keys and deactivated departments or agencies never match.
PRINCIPAL_FOR_KEY: Final = """
    SELECT k.id, k.key_hash, k.name, k.role, k.department_code, k.enterprise_uscc, k.agency_id,
           d.level AS department_level, r.code AS region_code, r.path AS region_path
      FROM api_keys k
      LEFT JOIN departments d ON d.code = k.department_code
      LEFT JOIN regions r ON r.code = d.region_code
      LEFT JOIN testing_agencies a ON a.id = k.agency_id
     WHERE k.key_hash = $1 AND k.revoked_at IS NULL
       AND (d.code IS NULL OR d.active) AND (a.id IS NULL OR a.active)
"""


async def principal_for_key(session: AsyncSession, secret: str) -> Principal | None:
    key_hash = hash_key(secret)
    connection = await driver_connection(session)
    row = await connection.fetchrow(PRINCIPAL_FOR_KEY, key_hash)
    # The lookup was by hash; compare again in constant time so no timing differs by prefix.
    if row is None or not secrets.compare_digest(row["key_hash"], key_hash):
        return None
    return Principal(
        role=Role(row["role"]),
        name=row["name"],
        key_id=row["id"],
        department_code=row["department_code"],
        department_level=row["department_level"],
        region_code=row["region_code"],
        region_path=row["region_path"],
        enterprise_uscc=row["enterprise_uscc"],
        agency_id=row["agency_id"],
    )


_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer qcs_…`")


async def current_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise NotAuthenticated("auth.missing", "send an API key as `Authorization: Bearer <key>`")
    principal = await principal_for_key(session, credentials.credentials)
    if principal is None:
        raise NotAuthenticated("auth.invalid", "the API key is unknown or revoked")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> object:
    allowed = frozenset(roles)

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden("auth.role_forbidden", f"this needs one of the roles: {names}")
        return principal

    return Depends(dependency)


AdminPrincipal = Annotated[Principal, require_roles(Role.ADMIN)]
RegulatorPrincipal = Annotated[Principal, require_roles(Role.ADMIN, Role.REGULATOR)]
DirectoryReader = Annotated[
    Principal, require_roles(Role.ADMIN, Role.REGULATOR, Role.AGENCY, Role.DEPARTMENT)
]
EnterpriseReader = Annotated[
    Principal,
    require_roles(Role.ADMIN, Role.REGULATOR, Role.AGENCY, Role.DEPARTMENT, Role.ENTERPRISE),
]
EnterprisePrincipal = Annotated[Principal, require_roles(Role.ENTERPRISE)]
AgencyPrincipal = Annotated[Principal, require_roles(Role.AGENCY)]
