"""`POST /joint-punishment/check`: which of up to 10,000 USCCs were listed on a day, and the log
of every check, which the enterprise reads back through `GET /me/checks`.

Built for the 10,000-code request: codes are validated with a table-driven fast path (the
GB 32100 / GB 11714 checks of `service.uscc`, without its normalisation and messages) and only a
code that fails it goes through `parse_uscc` for its canonical form or its reason; the hits are
one `= ANY($1)` query on the (enterprise_uscc, listed_on) index; the log is one row plus one
`INSERT … SELECT unnest(…)` — no ORM object per code."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from operator import mul
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import HitCheck, HitCheckSubject
from models.joint_punishment_api import CheckRequest
from models.reference import Department
from service import audit
from service.auth import Principal
from service.blacklist.config import get_blacklist_settings
from service.errors import InvalidInput, PayloadTooLarge
from service.joint_punishment.measures import department_of, measure_refs, measures_for
from service.pagination import PageRequest, decode_cursor, encode_cursor
from service.uscc import ALPHABET, LENGTH, UsccError, org_code_check_digit, parse_uscc

_VALUE = {char: index for index, char in enumerate(ALPHABET)}
_WEIGHTS = tuple(pow(3, i, 31) for i in range(LENGTH - 1))
_DIGITS = frozenset("0123456789")


def _canonical_and_valid(code: str) -> bool:
    """True when `code` is already canonical and passes both checks; False means "ask
    `parse_uscc`", which normalises and explains."""
    if len(code) != LENGTH:
        return False
    try:
        values = [_VALUE[char] for char in code]
    except KeyError:
        return False
    org = code[8:16]
    # Digits-only bases are by far the most common; letters take the general routine.
    if _DIGITS.issuperset(org):
        check = 11 - sum(map(mul, values[8:16], (3, 7, 9, 10, 5, 8, 4, 2))) % 11
        expected = "X" if check == 10 else "0" if check == 11 else str(check)
    else:
        expected = org_code_check_digit(org)
    if code[16] != expected:
        return False
    return code[17] == ALPHABET[(31 - sum(map(mul, values[:17], _WEIGHTS)) % 31) % 31]


def sort_codes(raw: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    """The valid codes in canonical form, each once, in the order first asked; and each
    malformed code (once) with its reason."""
    valid: dict[str, None] = {}
    invalid: list[dict[str, str]] = []
    for code in dict.fromkeys(raw):
        if _canonical_and_valid(code):
            valid[code] = None
            continue
        try:
            valid[parse_uscc(code).value] = None
        except UsccError as exc:
            invalid.append({"uscc": code, "code": exc.code, "reason": exc.detail})
    return list(valid), invalid


@dataclass(frozen=True)
class CheckAnswer:
    check_id: uuid.UUID
    as_of: date
    asked: int
    hits: list[dict[str, Any]]
    invalid: list[dict[str, str]]


_HITS = text(
    "SELECT enterprise_uscc, id, listed_on, ends_on FROM listings "
    "WHERE enterprise_uscc = ANY(:usccs) AND listed_on <= :as_of "
    "AND (removed_on IS NULL OR removed_on > :as_of) "
    "ORDER BY enterprise_uscc, listed_on"
)
_LOG_SUBJECTS = text(
    "INSERT INTO hit_check_subjects (check_id, uscc, listing_id) "
    "SELECT :check_id, s.uscc, s.listing_id "
    "FROM unnest(CAST(:usccs AS varchar[]), CAST(:listing_ids AS uuid[])) AS s(uscc, listing_id)"
)


async def check(
    session: AsyncSession, principal: Principal, request: CheckRequest, *, today: date
) -> CheckAnswer:
    """Answer and log one check. A listing counts on `as_of` when it was in force that day:
    listed on or before it and not removed by then (the removal day is off the list)."""
    department = await department_of(session, principal)
    limit = get_blacklist_settings().check_max_usccs
    if len(request.usccs) > limit:
        raise PayloadTooLarge(
            "check.too_many",
            f"{len(request.usccs)} codes asked; at most {limit} per request",
            limit=limit,
        )
    as_of = request.as_of or today
    if as_of > today:
        raise InvalidInput("check.as_of_in_future", f"{as_of} is after today ({today})")
    usccs, invalid = sort_codes(request.usccs)
    refs = measure_refs(await measures_for(session, principal))

    hits: list[dict[str, Any]] = []
    listing_of: dict[str, uuid.UUID] = {}
    if usccs:
        connection = await session.connection()
        rows = (await connection.execute(_HITS, {"usccs": usccs, "as_of": as_of})).all()
        for uscc, listing_id, listed_on, ends_on in rows:
            listing_of.setdefault(uscc, listing_id)
            hits.append(
                {
                    "uscc": uscc,
                    "listing_id": listing_id,
                    "listed_on": listed_on,
                    "ends_on": ends_on,
                    "measures": refs,
                }
            )

    logged = HitCheck(
        department_code=department.code,
        actor=principal.actor,
        as_of=as_of,
        asked=len(usccs),
        hits=len(hits),
    )
    session.add(logged)
    await session.flush()
    if usccs:
        await (await session.connection()).execute(
            _LOG_SUBJECTS,
            {
                "check_id": logged.id,
                "usccs": usccs,
                "listing_ids": [listing_of.get(uscc) for uscc in usccs],
            },
        )
    audit.record(
        session,
        actor=principal.actor,
        action="hit_check.made",
        entity_type="hit_check",
        entity_id=str(logged.id),
        state={
            "department_code": department.code,
            "as_of": as_of,
            "asked": len(usccs),
            "hits": len(hits),
            "invalid": len(invalid),
        },
    )
    return CheckAnswer(logged.id, as_of, len(usccs), hits, invalid)


@dataclass(frozen=True)
class MyCheck:
    check_id: uuid.UUID
    department_code: str
    department_name: str
    checked_at: datetime
    as_of: date
    hit: bool


def _after(cursor: str) -> tuple[datetime, uuid.UUID]:
    value = decode_cursor(cursor)
    try:
        if not (isinstance(value, list) and len(value) == 2):
            raise ValueError(value)
        return datetime.fromisoformat(value[0]), uuid.UUID(value[1])
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidInput("pagination.cursor_invalid", "the cursor is not one we issued") from exc


async def my_checks(
    session: AsyncSession, principal: Principal, page: PageRequest
) -> tuple[list[MyCheck], str | None]:
    """The checks that asked about the caller's enterprise, newest first."""
    statement = (
        select(HitCheck, Department.name, HitCheckSubject.listing_id)
        .join(HitCheckSubject, col(HitCheckSubject.check_id) == col(HitCheck.id))
        .join(Department, col(Department.code) == col(HitCheck.department_code))
        .where(col(HitCheckSubject.uscc) == principal.enterprise_uscc)
    )
    if page.cursor is not None:
        checked_at, check_id = _after(page.cursor)
        statement = statement.where(
            (col(HitCheck.checked_at) < checked_at)
            | ((col(HitCheck.checked_at) == checked_at) & (col(HitCheck.id) < check_id))
        )
    rows = (
        await session.exec(
            statement.order_by(col(HitCheck.checked_at).desc(), col(HitCheck.id).desc()).limit(
                page.limit + 1
            )
        )
    ).all()
    items = [
        MyCheck(c.id, c.department_code, name, c.checked_at, c.as_of, listing_id is not None)
        for c, name, listing_id in rows[: page.limit]
    ]
    next_cursor = None
    if len(rows) > page.limit:
        last = items[-1]
        next_cursor = encode_cursor([last.checked_at.isoformat(), str(last.check_id)])
    return items, next_cursor
