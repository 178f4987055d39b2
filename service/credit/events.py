"""Credit events posted by departments (POST /enterprises/{uscc}/credit-events): administrative
penalties with their severity and kind, verified complaints, mandatory recalls, awards and
certifications. Which department may post which type is the table below; sampling events come
only from the event log. Re-posting a reference returns the original; the enterprise's score is
recomputed in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from models.credit import (
    HEAVIER_PENALTIES,
    LIGHT_PENALTIES,
    SAMPLING_TYPES,
    CreditEvent,
    CreditEventCreate,
    CreditEventType,
    EventOrigin,
    PenaltySeverity,
)
from models.reference import Department
from models.system import Role
from service.auth import Principal
from service.credit import ledger, standing
from service.credit.config import get_credit_settings
from service.directory.enterprises import get_enterprise
from service.errors import Conflict, Forbidden, InvalidInput

_T = CreditEventType

# Who posts what: market regulators (市场监管) issue quality penalties, handle 12365 complaints,
# order recalls, run the quality awards (省长质量奖) and supervise certification; 发改 and 住建
# grant awards of their own, 科技 awards and certifications (e.g. 高新技术企业). The consuming
# departments (财政, 人民银行, 税务, 自然资源, 公共资源交易) post nothing.
MARKET_REGULATOR = "market_regulator"
POSTABLE: dict[str, frozenset[CreditEventType]] = {
    MARKET_REGULATOR: frozenset(
        {
            _T.ADMINISTRATIVE_PENALTY,
            _T.VERIFIED_COMPLAINT,
            _T.MANDATORY_RECALL,
            _T.AWARD,
            _T.CERTIFICATION,
        }
    ),
    "fgw": frozenset({_T.AWARD}),
    "zjt": frozenset({_T.AWARD}),
    "kjt": frozenset({_T.AWARD, _T.CERTIFICATION}),
}


def postable_by(department: Department) -> frozenset[CreditEventType]:
    key = MARKET_REGULATOR if department.is_market_regulator else department.kind
    return POSTABLE.get(key, frozenset())


@dataclass(frozen=True)
class Posted:
    event: CreditEvent
    created: bool  # False: the reference was posted before and this is the original


async def _source_department(
    session: AsyncSession, principal: Principal, data: CreditEventCreate
) -> Department:
    if principal.role is Role.ADMIN:
        if data.department_code is None:
            raise InvalidInput(
                "credit_event.department_required",
                "an admin posts on behalf of a department: give department_code",
            )
        code = data.department_code
    elif principal.role in (Role.REGULATOR, Role.DEPARTMENT):
        if data.department_code not in (None, principal.department_code):
            raise Forbidden(
                "credit_event.department_forbidden",
                f"a {principal.role.value} key posts for {principal.department_code} only",
            )
        code = principal.department_code or ""
    else:
        raise Forbidden("auth.role_forbidden", "only departments post credit events")
    department = await session.get(Department, code)
    if department is None or not department.active:
        raise InvalidInput("department.unknown", f"no active department {code}")
    return department


def _check(data: CreditEventCreate, department: Department, today: date) -> None:
    if data.type in SAMPLING_TYPES:
        raise Forbidden(
            "credit_event.type_forbidden",
            f"{data.type.value} events come from sampling records, not from posts",
        )
    if data.type not in postable_by(department):
        raise Forbidden(
            "credit_event.type_forbidden",
            f"{department.code} may not post {data.type.value} events",
            allowed=sorted(t.value for t in postable_by(department)),
        )
    if data.occurred_on > today:
        raise InvalidInput("credit_event.date_in_future", "occurred_on is after today")
    if data.published_on is not None:
        if data.published_on > today:
            raise InvalidInput("credit_event.date_in_future", "published_on is after today")
        if data.published_on < data.occurred_on:
            raise InvalidInput(
                "credit_event.published_before_occurred", "published_on is before occurred_on"
            )
    if data.type is _T.ADMINISTRATIVE_PENALTY:
        _check_penalty(data)
    elif data.severity is not None or data.penalty_kind is not None or data.area is not None:
        raise InvalidInput(
            "credit_event.penalty_fields_not_allowed",
            "severity, penalty_kind and area belong to administrative penalties only",
        )


def _check_penalty(data: CreditEventCreate) -> None:
    if data.severity is None or data.penalty_kind is None:
        raise InvalidInput(
            "credit_event.penalty_fields_missing",
            "an administrative penalty needs its severity (heavier/other) and penalty_kind",
        )
    heavier = data.severity is PenaltySeverity.HEAVIER
    if (heavier and data.penalty_kind in LIGHT_PENALTIES) or (
        not heavier and data.penalty_kind in HEAVIER_PENALTIES
    ):
        raise InvalidInput(
            "credit_event.severity_inconsistent",
            f"a {data.penalty_kind.value} penalty is not of severity {data.severity.value}",
        )


_SAME_FACT = ("enterprise_uscc", "type", "occurred_on", "severity")


async def post_event(
    session: AsyncSession,
    principal: Principal,
    uscc: str,
    data: CreditEventCreate,
    *,
    today: date,
) -> Posted:
    enterprise = await get_enterprise(session, principal, uscc)
    department = await _source_department(session, principal, data)
    _check(data, department, today)
    draft = ledger.Draft(
        enterprise_uscc=enterprise.uscc,
        type=data.type,
        origin=EventOrigin.DEPARTMENT,
        department_code=department.code,
        reference=data.reference,
        occurred_on=data.occurred_on,
        public=data.public,
        published_on=data.published_on or data.occurred_on,
        severity=data.severity.value if data.severity else None,
        penalty_kind=data.penalty_kind,
        summary=data.summary,
        details={"area": data.area.value} if data.area else {},
    )
    settings = get_credit_settings()
    new, (event,) = await ledger.record(
        session, [draft], today=today, actor=principal.actor, periods=settings.publication
    )
    if not new:
        # The same reference again: the original, unless it names a different fact.
        posted = {
            "enterprise_uscc": draft.enterprise_uscc,
            "type": draft.type.value,
            "occurred_on": draft.occurred_on,
            "severity": draft.severity,
        }
        if any(getattr(event, name) != posted[name] for name in _SAME_FACT):
            raise Conflict(
                "credit_event.reference_reused",
                f"{department.code} already recorded reference {data.reference!r} for another fact",
                credit_event_id=str(event.id),
            )
        return Posted(event, created=False)
    await standing.recompute(
        session,
        [enterprise.uscc],
        today=today,
        trigger=f"credit_event:{event.id}",
        actor=principal.actor,
        settings=settings,
    )
    return Posted(event, created=True)
