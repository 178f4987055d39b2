"""Administration: API keys and the audit-chain check."""

from __future__ import annotations

from fastapi import APIRouter, status

from models.system import ApiKeyCreate, ApiKeyCreated, AuditVerification, Role
from service import audit
from service.auth import AdminPrincipal, create_key
from service.db import SessionDep, UnitOfWorkRoute

router = APIRouter(tags=["admin"], route_class=UnitOfWorkRoute)


@router.post("/keys", status_code=status.HTTP_201_CREATED)
async def create_api_key(
    session: SessionDep, principal: AdminPrincipal, body: ApiKeyCreate
) -> ApiKeyCreated:
    key, secret = await create_key(
        session,
        actor=principal,
        role=body.role,
        name=body.name,
        department_code=body.department_code,
        enterprise_uscc=body.enterprise_uscc,
        agency_id=body.agency_id,
    )
    return ApiKeyCreated(id=key.id, key=secret, role=Role(key.role), name=key.name)


@router.get("/audit/verify")
async def verify_audit_chain(session: SessionDep, principal: AdminPrincipal) -> AuditVerification:
    report = await audit.verify_chain(session)
    return AuditVerification(
        ok=report.ok,
        checked=report.checked,
        first_bad_seq=report.first_bad_seq,
        problem=report.problem,
    )
