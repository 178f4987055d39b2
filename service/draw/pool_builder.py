"""The draw's candidate pool from the database: the products in the plan's region and
categories in document order, the six-month and inactive exclusions, the organiser's roster, the
agencies and the enterprises' previous tasks — everything fixed before the seed is known.

Not imported by `service.draw` itself, so the stand-alone verifier stays free of the database
stack."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable
from datetime import date
from operator import itemgetter

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import Inspector, InspectorConflict, TestingAgency
from models.common import PlanKind
from models.plan import Plan, PlanQuota
from models.reference import Department, Region
from service import six_month_rule
from service.config import get_settings
from service.db import driver_connection
from service.draw import algorithm
from service.eligibility import history_window_start, organiser_of
from service.errors import NotFound
from service.six_month_rule import SixMonthConfig

_WILDCARD = "*"


def six_month_config() -> SixMonthConfig:
    settings = get_settings()
    return SixMonthConfig(
        months=settings.six_month_months,
        exempt_plan_kinds=frozenset(PlanKind(k) for k in settings.six_month_exempt_kinds),
    )


def stratum_key(quota: PlanQuota) -> str:
    return f"{quota.category_code}|{quota.region_code or _WILDCARD}"


async def _region_paths(session: AsyncSession) -> dict[str, str]:
    return {r.code: r.path for r in (await session.exec(select(Region))).all()}


def _inside(path: str, container: str) -> bool:
    return path == container or path.startswith(container + "/")


async def build_pool(
    session: AsyncSession, plan: Plan, quotas: list[PlanQuota], on: date
) -> tuple[algorithm.Pool, list[algorithm.CandidateRow]]:
    """Everything the draw depends on, fixed before the seed is known: the pool without its
    candidates, and the candidates as document rows in document order (a million objects fewer
    than a pool of :class:`~service.draw.algorithm.Candidate`)."""
    settings = get_settings()
    config = six_month_config()
    strata = [
        algorithm.Stratum(
            key=stratum_key(q),
            category_code=q.category_code,
            region_code=q.region_code,
            quota=q.quota,
        )
        for q in quotas
    ]
    organiser = organiser_of(await _organiser(session, plan.department_code))
    history = await _recent_history(session, organiser, on, config)
    # The checks need only the history: a thread runs them while PostgreSQL joins and sorts the
    # candidates. (Products in the history but outside the plan's scope are checked in vain; the
    # history holds only samplings that can block this organiser, a few percent of the products.)
    locks = asyncio.ensure_future(
        asyncio.to_thread(_six_month_locks, history, organiser, on, PlanKind(plan.kind), config)
    )
    eligible, exclusions = await _candidate_rows(session, plan, strata, locks)

    pool = algorithm.Pool(
        strata=tuple(strata),
        candidates=(),
        inspectors=await _inspectors(session, plan.department_code),
        agencies=await _agencies(session, plan),
        history=await _task_history(session, set(map(itemgetter(1), eligible))),
        weights=dict(settings.draw_risk_weights),
        inspectors_per_task=settings.draw_inspectors_per_task,
        pre_exclusions=tuple(exclusions),
    )
    return pool, eligible


def _six_month_locks(
    history: dict[str, list[six_month_rule.PastSampling]],
    organiser: six_month_rule.Organiser,
    on: date,
    plan_kind: PlanKind,
    config: SixMonthConfig,
) -> dict[str, dict[str, str]]:
    """The products of the history that the six-month rule locks for this organiser, each with
    its exclusion detail (the first block, and when the last lock ends)."""
    locks: dict[str, dict[str, str]] = {}
    for product_id, pasts in history.items():
        result = six_month_rule.check_eligibility(pasts, organiser, on, plan_kind, config)
        if not result.eligible:
            block = result.blocks[0]
            locks[product_id] = {
                "rule_id": block.rule_id.value,
                "blocking_sampling_id": block.sampling.sampling_id,
                "lock_ends_on": (result.locked_until or block.lock_ends_on).isoformat(),
            }
    return locks


# Ordered by product id: a uuid orders like its text (fixed width, lowercase hex, hyphens at fixed
# places), so this is the document's order; the document check re-verifies it in one pass. The
# plan's region codes come from Python (the region tree is small): one hash join fewer than
# filtering through `regions`, and no path column to send a million times.
_CANDIDATES_SQL = """
SELECT p.id::text, p.enterprise_uscc, p.category_code, e.region_code, e.risk_class,
       p.active AND e.active
FROM products AS p
JOIN enterprises AS e ON e.uscc = p.enterprise_uscc
WHERE e.region_code = ANY($1::text[]) AND p.category_code ^@ ANY($2::text[])
ORDER BY p.id
"""


async def _candidate_rows(
    session: AsyncSession,
    plan: Plan,
    strata: list[algorithm.Stratum],
    six_month_locks: Awaitable[dict[str, dict[str, str]]],
) -> tuple[list[algorithm.CandidateRow], list[algorithm.Exclusion]]:
    """The products in the plan's region and categories: the eligible ones as candidate rows,
    and the exclusions of the others (inactive, or locked by the six-month rule).

    Read over the driver's own connection (same transaction): a million rows arrive as text in
    the document's order, without SQLAlchemy's per-row result handling; the stratum is worked
    out once per (category, region) pair, a few hundred of them. `six_month_locks` is awaited
    once the rows are in: it is worked out meanwhile."""
    paths = await _region_paths(session)
    plan_path = paths[plan.region_code]
    regions = [code for code, path in paths.items() if _inside(path, plan_path)]
    by_prefix: dict[str, list[tuple[algorithm.Stratum, str | None]]] = defaultdict(list)
    for stratum in strata:
        region_path = paths[stratum.region_code] if stratum.region_code else None
        by_prefix[stratum.category_code].append((stratum, region_path))
    driver = await driver_connection(session)
    # The sort of a million rows spills to disk under the default 4 MB. At full scale the plan's
    # estimated cost nears jit_above_cost, and compiling this scan-and-join costs more than it
    # saves (forced JIT measured about 10 % slower at a fifth of the scale). Both for this
    # transaction only.
    await driver.execute("SET LOCAL work_mem = '128MB'; SET LOCAL jit = off")
    records = await driver.fetch(_CANDIDATES_SQL, regions, list(by_prefix))
    locks = await six_month_locks
    homes: dict[tuple[str, str], str | None] = {}
    rows: list[algorithm.CandidateRow] = []
    exclusions: list[algorithm.Exclusion] = []
    for product_id, uscc, category, region, risk, active in records:
        key = (category, region)
        if key in homes:
            home = homes[key]
        else:
            found = _stratum_for(by_prefix, category, paths[region])
            home = homes[key] = found.key if found else None
        if home is None:
            continue
        if not active:
            exclusions.append(algorithm.Exclusion(product_id, uscc, "inactive", {"stratum": home}))
        elif product_id in locks:
            detail = {**locks[product_id], "stratum": home}
            exclusions.append(algorithm.Exclusion(product_id, uscc, "six_month_rule", detail))
        else:
            rows.append((product_id, uscc, category, region, risk, home))
    return rows, exclusions


def _stratum_for(
    by_prefix: dict[str, list[tuple[algorithm.Stratum, str | None]]], category: str, path: str
) -> algorithm.Stratum | None:
    for end in range(2, len(category) + 1, 2):
        for stratum, region_path in by_prefix.get(category[:end], ()):
            if region_path is None or _inside(path, region_path):
                return stratum
    return None


async def _organiser(session: AsyncSession, code: str) -> Department:
    department = await session.get(Department, code)
    if department is None:  # the foreign key makes this unreachable
        raise NotFound("department.not_found", f"no department {code}")
    return department


_HISTORY_SQL = """
SELECT id::text, product_id::text, department_code, level, region_code, sampled_on, verdict
FROM samplings
WHERE sampled_on BETWEEN $1 AND $2
  AND (department_code = $3
       OR (verdict = 'conforming' AND level IN ('national', 'provincial'))
       OR level = ANY($4::text[]))
"""


async def _recent_history(
    session: AsyncSession, organiser: six_month_rule.Organiser, on: date, config: SixMonthConfig
) -> dict[str, list[six_month_rule.PastSampling]]:
    """Samplings in the lock window that could block this organiser at all: its own (R2),
    passed national/provincial ones (R1) and any by a higher level (R3). A superset of what
    the rules block — the pure check still decides — but a tenth of the window's rows."""
    higher = [
        level.value
        for level in six_month_rule.Level
        if six_month_rule.is_higher(level, organiser.level)
    ]
    driver = await driver_connection(session)  # ids as text: no uuid objects to format
    rows = await driver.fetch(
        _HISTORY_SQL,
        history_window_start(on, config),
        on,
        organiser.department_code,
        higher,
    )
    organisers: dict[str, six_month_rule.Organiser] = {}
    history: dict[str, list[six_month_rule.PastSampling]] = defaultdict(list)
    for sampling_id, product_id, department, level, region, sampled_on, verdict in rows:
        past_organiser = organisers.get(department)
        if past_organiser is None:
            past_organiser = six_month_rule.Organiser(
                department, six_month_rule.Level(level), region
            )
            organisers[department] = past_organiser
        history[product_id].append(
            six_month_rule.PastSampling(sampling_id, past_organiser, sampled_on, verdict)
        )
    return history


async def _inspectors(
    session: AsyncSession, department_code: str
) -> tuple[algorithm.InspectorEntry, ...]:
    inspectors = (
        await session.exec(
            select(Inspector.id).where(
                col(Inspector.department_code) == department_code, col(Inspector.active)
            )
        )
    ).all()
    conflicts: dict[uuid.UUID, list[str]] = defaultdict(list)
    for inspector_id, uscc in await session.exec(
        select(InspectorConflict.inspector_id, InspectorConflict.enterprise_uscc).where(
            col(InspectorConflict.inspector_id).in_(inspectors)
        )
    ):
        conflicts[inspector_id].append(uscc)
    return tuple(
        algorithm.InspectorEntry(inspector_id=str(i), conflicts=tuple(sorted(conflicts[i])))
        for i in inspectors
    )


async def _agencies(session: AsyncSession, plan: Plan) -> tuple[algorithm.AgencyEntry, ...]:
    # Valid CMA for the whole period: the sampling date is not known yet.
    rows = await session.exec(
        select(TestingAgency.id, TestingAgency.category_scope).where(
            col(TestingAgency.active),
            col(TestingAgency.cma_expired_on).is_(None),
            col(TestingAgency.cma_valid_from) <= plan.period_start,
            col(TestingAgency.cma_valid_until) >= plan.period_end,
        )
    )
    return tuple(
        algorithm.AgencyEntry(agency_id=str(agency_id), category_scope=tuple(sorted(scope)))
        for agency_id, scope in rows
    )


# A draw's tasks share one created_at: the later in the draw is the previous task. The sort runs
# over every task ever made: on narrow rows in byte order, and the ids are cast to text for the
# winners only (measured 30 % faster than casting before the sort in the default collation).
_TASK_HISTORY_SQL = """
SELECT enterprise_uscc, inspector_ids::text[], agency_id::text
FROM (
    SELECT DISTINCT ON (enterprise_uscc COLLATE "C") enterprise_uscc, inspector_ids, agency_id
    FROM sampling_tasks
    WHERE state <> 'cancelled'
    ORDER BY enterprise_uscc COLLATE "C", created_at DESC, draw_order DESC
) AS latest
"""


async def _task_history(
    session: AsyncSession, enterprises: set[str]
) -> dict[str, algorithm.History]:
    if not enterprises:
        return {}
    driver = await driver_connection(session)  # ids as text: no uuid objects to format
    return {
        uscc: algorithm.History(last_inspectors=tuple(sorted(inspectors)), last_agency=agency)
        for uscc, inspectors, agency in await driver.fetch(_TASK_HISTORY_SQL)
        if uscc in enterprises
    }
