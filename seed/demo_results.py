"""Demo sampling history, January 2024 to October 2026, on top of the demo directory: national,
provincial (routine, e-commerce special, follow-up, one emergency) and municipal plans, their
tasks, samples, reports and results, so that the pass-rate dashboards have something to say.

Nonconformity follows the official picture (rules §7): about 13 % overall, small enterprises
far above large ones (~13 % against ~2 %), online purchases about twice the rate of the rest
(~20 %), with a city-to-city spread and a slight improvement year on year. Results reach every
state as of `DEMO_AS_OF`: samples whose report has not arrived, results notified with an open
objection window, objections pending, re-tests running, and final results (a few after a
re-test or a rejected objection). Final results are published the day they become final.

Deterministic (one `random.Random(seed)`), loaded with COPY, then the pass-rate rollup is
rebuilt. The stop orders of the nonconforming final results are not created here."""

from __future__ import annotations

import itertools
import json
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import Inspector, TestingAgency
from models.enterprise import Enterprise, Product
from models.plan import Plan, PlanQuota, Sampling, SamplingTask
from models.reference import Department, Region
from models.results import Objection, Result, Retest, Sample, TestReport
from seed.demo import DEMO_AS_OF, DEMO_SEED, PREFECTURE_WEIGHTS
from service import audit
from service.auth import Principal, system_principal
from service.canonical import digest
from service.db import driver_connection
from service.reports import OBJECTION_DAYS
from service.stats import rebuild
from service.work_calendar import WorkCalendar

Row = dict[str, Any]
YEARS: Final = (2024, 2025, 2026)
LAST_SAMPLING_DAY: Final = date(2026, 10, 31)
LOCK_DAYS: Final = 183  # six months between samplings of one product (rules §4)
EXEMPT_KINDS: Final = frozenset({"follow_up", "emergency"})
# fmt: off
# Chance of a nonconforming batch: by size, times the channel, the category group, the year
# and the city (rules §7 anchors: 2023 small 13.2 % vs large 0.8 %, 2024 e-commerce 23.5 %).
SIZE_RISK: Final = {"large": 0.015, "medium": 0.05, "small": 0.11, "micro": 0.14}
CHANNEL_RISK: Final = {"production": 1.0, "circulation": 1.1, "e_commerce": 2.3}
GROUP_RISK: Final = {"01": 0.9, "02": 1.2, "03": 1.0, "04": 0.8, "05": 1.0, "06": 1.3, "07": 1.1,
                     "08": 1.0, "09": 0.8, "10": 0.9, "11": 1.2, "12": 1.2, "13": 1.0, "14": 0.7,
                     "15": 1.1, "16": 1.0, "17": 0.6}
YEAR_RISK: Final = {2024: 1.08, 2025: 1.0, 2026: 0.93}
FOLLOW_UP_RISK: Final = 0.6  # most products pass once rectified
# Channel mix of each kind of plan: production, circulation, e-commerce.
ROUTINE_MIX: Final = (0.5, 0.33, 0.17)
ONLINE_MIX: Final = (0.0, 0.15, 0.85)
OBJECTION_RATE: Final = 0.08  # of nonconforming results; higher among the latest ones
PLACE_NAMES: Final = {"production": "企业成品仓库", "circulation": "商场销售柜台",
                      "e_commerce": "网络交易平台"}
# Plans each year by organiser level: kind, title, first day, last day (None: the end of that
# year's sampling), batches (None: by the city's economy), channel mix.
Round = tuple[str, str, tuple[int, int], tuple[int, int] | None, int | None, tuple[float, ...]]
ROUNDS: Final[dict[str, list[Round]]] = {
    "national": [("routine", "产品质量国家监督抽查（河南、湖北）", (3, 1), None, 70, ROUTINE_MIX)],
    "provincial": [
        ("routine", "{}产品质量省级监督抽查（第一批）", (3, 1), (6, 30), 190, ROUTINE_MIX),
        ("routine", "{}产品质量省级监督抽查（第二批）", (8, 1), None, 190, ROUTINE_MIX),
        ("special", "{}电子商务产品质量专项监督抽查", (5, 1), (9, 30), 80, ONLINE_MIX),
        ("follow_up", "{}不合格产品跟踪抽查", (9, 1), None, 40, ROUTINE_MIX)],
    "municipal": [("routine", "{}产品质量市级监督抽查", (4, 1), None, None, ROUTINE_MIX)],
}
# fmt: on


@dataclass
class Directory:
    """What the history is drawn from, read from the database."""

    region_names: dict[str, str]
    city_of: dict[str, str]  # region → its prefecture-level unit
    province_of: dict[str, str]
    enterprises: dict[str, Row]
    products_by_city: dict[str, list[Row]]
    agencies: list[Row]
    inspectors: dict[str, list[uuid.UUID]]
    departments: list[Row]
    # Agencies by (province, category) whose scope covers the category.
    scoped: dict[tuple[str, str], list[Row]] = field(default_factory=dict)


@dataclass
class History:
    tables: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    last_sampled: dict[uuid.UUID, date] = field(default_factory=dict)
    # Per province: products found nonconforming, with the day that became final.
    followed: dict[str, list[tuple[date, Row]]] = field(default_factory=lambda: defaultdict(list))
    serial: Iterator[int] = field(default_factory=lambda: itertools.count(1))


def _at(day: date, hour: int = 10) -> datetime:
    # Office hours in Shanghai, stored in UTC.
    return datetime.combine(day, time(hour - 8), tzinfo=UTC)


def _calendar() -> WorkCalendar:
    # The official calendar of the demo years, looked up once: the library is slow.
    official = WorkCalendar()
    first, last = date(YEARS[0], 1, 1), date(YEARS[-1], 12, 31)
    days = (first + timedelta(n) for n in range((last - first).days + 1))
    return WorkCalendar(overrides={day: official.is_working_day(day) for day in days})


async def _copy(session: AsyncSession, model: type[SQLModel], rows: list[Row]) -> None:
    """COPY the rows into the model's table, in the session's transaction: thousands of rows
    a table, where parameter binding row by row would take seconds."""
    if not rows:
        return
    table = model.__table__  # type: ignore[attr-defined]
    columns = list(rows[0])
    encoded = [c for c in columns if isinstance(table.c[c].type, JSONB)]
    records = [
        tuple(json.dumps(r[c], ensure_ascii=False) if c in encoded and r[c] is not None else r[c]
              for c in columns)
        for r in rows
    ]  # fmt: skip
    driver = await driver_connection(session)
    await driver.copy_records_to_table(table.name, records=records, columns=columns)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


async def _directory(session: AsyncSession) -> Directory:
    regions = (await session.exec(select(Region))).all()
    by_code = {r.code: r for r in regions}
    city_of: dict[str, str] = {}
    province_of: dict[str, str] = {}
    for r in regions:
        parts = r.path.split("/")
        province_of[r.code] = parts[1] if len(parts) > 1 else r.code
        city_of[r.code] = parts[2] if len(parts) > 2 else r.code
    enterprises: dict[str, Row] = {
        e.uscc: {"region": e.region_code, "size": e.size or "small", "recorded_size": e.size}
        for e in (await session.exec(select(Enterprise).where(col(Enterprise.active)))).all()
    }
    products: dict[str, list[Row]] = defaultdict(list)
    connection = await session.connection()
    products_table = Product.__table__  # type: ignore[attr-defined]
    rows = await connection.execute(products_table.select().order_by(products_table.c.id))
    for p in rows.mappings():
        if p["enterprise_uscc"] in enterprises:
            products[city_of[enterprises[p["enterprise_uscc"]]["region"]]].append(dict(p))
    inspectors: dict[str, list[uuid.UUID]] = defaultdict(list)
    for i in (await session.exec(select(Inspector).order_by(col(Inspector.id)))).all():
        inspectors[i.department_code].append(i.id)
    agencies = (await session.exec(select(TestingAgency).order_by(col(TestingAgency.name)))).all()
    departments = await session.exec(
        select(Department).where(col(Department.is_market_regulator)).order_by(col(Department.code))
    )
    return Directory(
        region_names={code: r.name for code, r in by_code.items()},
        city_of=city_of,
        province_of=province_of,
        enterprises=enterprises,
        products_by_city=dict(products),
        agencies=[a.model_dump() for a in agencies],
        inspectors=dict(inspectors),
        departments=[d.model_dump() for d in departments.all()],
    )


@dataclass(frozen=True)
class PlanSpec:
    department: Row
    kind: str
    title: str
    start: date
    end: date
    batches: int
    mix: tuple[float, ...]
    groups: tuple[str, ...] = ()  # category groups the plan samples; all when empty


def _plan_specs(d: Directory) -> list[PlanSpec]:
    specs = []
    for year, dept in itertools.product(YEARS, d.departments):
        year_end = min(date(year, 11, 30), LAST_SAMPLING_DAY)
        name = d.region_names[dept["region_code"]]
        for kind, title, start, end, batches, mix in ROUNDS.get(dept["level"], []):
            size = batches or 7 + PREFECTURE_WEIGHTS.get(dept["region_code"], 10) // 6
            last = date(year, *end) if end else year_end
            title = f"{year}年{title.format(name)}"
            specs.append(PlanSpec(dept, kind, title, date(year, *start), last, size, mix))
    henan = next(dept for dept in d.departments if dept["code"] == "scjg-410000")
    title = "2025年河南省燃气用具产品质量应急抽查"
    specs.append(PlanSpec(henan, "emergency", title, date(2025, 7, 1), date(2025, 8, 15), 25,
                          (0.4, 0.6, 0.0), ("15",)))  # fmt: skip
    return specs


def _plan_row(spec: PlanSpec, rng: random.Random) -> Row:
    closed = spec.end < DEMO_AS_OF
    published = _at(spec.start - timedelta(days=20), 9)
    return {"id": _uuid(rng), "title": spec.title, "department_code": spec.department["code"],
            "level": spec.department["level"], "region_code": spec.department["region_code"],
            "kind": spec.kind, "period_start": spec.start, "period_end": spec.end,
            "state": "closed" if closed else "in_progress", "created_at": published,
            "published_at": published,
            "closed_at": _at(spec.end, 17) if closed else None}  # fmt: skip


def _pool(spec: PlanSpec, d: Directory) -> list[Row]:
    """The products a plan may sample: in its region, in its category groups."""
    region = spec.department["region_code"]
    cities = [
        c for c in d.products_by_city
        if region == "000000" or c == region or d.province_of[c] == region
    ]  # fmt: skip
    products = [p for c in cities for p in d.products_by_city[c]]
    return [p for p in products if not spec.groups or p["category_code"][:2] in spec.groups]


def _agency(
    d: Directory, spec: PlanSpec, product: Row, day: date, rng: random.Random
) -> Row | None:
    """A testing agency of the product's province whose scope covers it, a city's own agency
    first for a municipal plan. (The demo's CMA certificates are the current ones; earlier
    ones are taken to have covered the earlier years.)"""
    province = d.province_of[d.enterprises[product["enterprise_uscc"]]["region"]]
    key = (province, product["category_code"])
    if key not in d.scoped:
        d.scoped[key] = [
            a for a in d.agencies
            if d.province_of[a["region_code"]] == province
            and any(product["category_code"].startswith(s) for s in a["category_scope"])
        ]  # fmt: skip
    qualified = [a for a in d.scoped[key] if a["cma_valid_until"] >= day]
    local = [a for a in qualified if a["region_code"] == spec.department["region_code"]]
    return rng.choice(local or qualified) if qualified else None


def _items(standard: str, failing: int, rng: random.Random) -> list[Row]:
    items = []
    for n, (name, clause) in enumerate(
        [("安全性能", "5.2"), ("标志和使用说明", "7"), ("外观和结构", "5.1")]
    ):
        fails = n < failing
        severity = ("serious" if rng.random() < 0.3 else "general") if fails else None
        items.append({"name": name, "standard_clause": f"{standard} {clause}",
                      "requirement": "应符合标准要求",
                      "measured_value": "不符合" if fails else "符合", "unit": None,
                      "verdict": "fail" if fails else "pass", "severity": severity})  # fmt: skip
    return items


def _report(h: History, agency: Row, sample: Row, kind: str, on: date, verdict: str,
            items: list[Row], rng: random.Random) -> Row:  # fmt: skip
    number = f"{'FJ' if kind == 'retest' else 'BG'}{on:%Y}{next(h.serial):06d}"
    content = {"report_number": number, "issued_on": on, "verdict": verdict, "items": items}
    row = {"id": _uuid(rng), "agency_id": agency["id"], "kind": kind, "sample_id": sample["id"],
           "document_sha256": None, "content_digest": digest(content), "created_at": _at(on, 16),
           **content}  # fmt: skip
    h.tables["test_reports"].append(row)
    return row


@dataclass(frozen=True)
class Taken:  # a sampled batch: the task, its six-month record and the sample
    plan: Row
    product: Row
    agency: Row
    task: Row
    sampling: Row
    sample: Row


def _take(h: History, d: Directory, spec: PlanSpec, plan: Row, product: Row, day: date,
          rng: random.Random) -> Taken | None:  # fmt: skip
    agency = _agency(d, spec, product, day, rng)
    staff = d.inspectors.get(spec.department["code"], [])
    if agency is None or len(staff) < 2:
        return None
    place = rng.choices(list(CHANNEL_RISK), weights=spec.mix)[0]
    samplers = rng.sample(staff, 2)
    category = product["category_code"]
    task = {"id": _uuid(rng), "plan_id": plan["id"], "draw_id": None,
            "product_id": product["id"], "enterprise_uscc": product["enterprise_uscc"],
            "category_code": category, "agency_id": agency["id"], "inspector_ids": samplers,
            "stratum": category, "draw_order": next(h.serial), "state": "sampled",
            "created_at": plan["published_at"]}  # fmt: skip
    sampling = {"id": _uuid(rng), "product_id": product["id"], "task_id": task["id"],
                "department_code": plan["department_code"], "level": plan["level"],
                "region_code": plan["region_code"], "plan_kind": plan["kind"], "sampled_on": day,
                "verdict": None, "created_at": _at(day, 15)}  # fmt: skip
    number = f"CY{day:%Y%m%d}{next(h.serial):06d}"
    sample = {"id": _uuid(rng), "task_id": task["id"], "agency_id": agency["id"],
              "sampling_id": sampling["id"], "sample_number": number, "sampled_on": day,
              "place_type": place, "place_name": PLACE_NAMES[place],
              "batch_number": f"{day - timedelta(days=rng.randint(5, 90)):%Y%m%d}",
              "production_date": day - timedelta(days=rng.randint(5, 90)), "quantity_unit": "件",
              "inspection_quantity": rng.randint(2, 6), "backup_quantity": rng.randint(2, 6),
              "backup_holder": "受检企业" if place == "production" else "承检机构",
              "sampler_ids": samplers, "created_at": _at(day, 15), "e_commerce": None}  # fmt: skip
    if place == "e_commerce":  # what an online purchase must record (rules §5)
        office = d.region_names[spec.department["region_code"]] + "市场监督管理局"
        sample["e_commerce"] = {
            "shop": f"{product['brand'] or '品牌'}官方旗舰店", "order_number": f"DD{number}",
            "paying_account": f"抽样专用账户-{spec.department['code']}",
            "delivery_address": office,
            "evidence": [{"ref": f"evidence/{number}/order.png", "sha256": None}]}  # fmt: skip
    h.tables["sampling_tasks"].append(task)
    h.tables["samplings"].append(sampling)
    h.tables["samples"].append(sample)
    h.last_sampled[product["id"]] = day
    return Taken(plan, product, agency, task, sampling, sample)


def _risk(d: Directory, t: Taken, city_risk: dict[str, float]) -> float:
    enterprise = d.enterprises[t.product["enterprise_uscc"]]
    risk = (SIZE_RISK[enterprise["size"]] * CHANNEL_RISK[t.sample["place_type"]]
            * GROUP_RISK[t.product["category_code"][:2]] * YEAR_RISK[t.sample["sampled_on"].year]
            * city_risk[d.city_of[enterprise["region"]]])  # fmt: skip
    return risk * (FOLLOW_UP_RISK if t.plan["kind"] == "follow_up" else 1.0)


def _contest(h: History, d: Directory, t: Taken, result: Row, items: list[Row],
             calendar: WorkCalendar, rng: random.Random) -> None:  # fmt: skip
    """An objection to a nonconforming result: pending, rejected, or re-tested (running or
    concluded, the re-test's verdict being final)."""
    filed = result["notified_on"] + timedelta(days=rng.randint(2, 10))
    objection = {"id": _uuid(rng), "result_id": result["id"],
                 "enterprise_uscc": result["enterprise_uscc"], "filed_on": filed,
                 "disputed_items": [i["name"] for i in items if i["verdict"] == "fail"],
                 "reason": "对检验结论有异议，申请复检", "consents_to_same_agency": False,
                 "state": "pending", "decided_on": None, "decided_by": None,
                 "decision_reason": None, "created_at": _at(filed)}  # fmt: skip
    h.tables["objections"].append(objection)
    decided = calendar.next_working_day(filed + timedelta(days=rng.randint(5, 12)))
    if decided > DEMO_AS_OF:
        result["state"] = "objected"
        return
    objection.update(decided_on=decided, decided_by=f"regulator:{t.plan['department_code']}")
    if rng.random() < 0.3:
        objection.update(state="rejected", decision_reason="异议理由不成立，维持原检验结论")
        result.update(state="final", final_on=decided)
        return
    objection.update(state="retest_ordered", decision_reason="同意复检，使用备用样品")
    category = t.product["category_code"]
    others = [
        a for a in d.agencies
        if a["id"] != t.agency["id"] and any(category.startswith(s) for s in a["category_scope"])
    ]  # fmt: skip
    agency = rng.choice(others) if others else t.agency
    objection["consents_to_same_agency"] = agency is t.agency
    retest = {"id": _uuid(rng), "objection_id": objection["id"], "result_id": result["id"],
              "sample_id": t.sample["id"], "agency_id": agency["id"],
              "disputed_items": objection["disputed_items"], "state": "assigned",
              "report_id": None, "created_at": _at(decided), "reported_at": None}  # fmt: skip
    h.tables["retests"].append(retest)
    reported = calendar.next_working_day(decided + timedelta(days=rng.randint(10, 25)))
    if reported > DEMO_AS_OF:
        result["state"] = "retesting"
        return
    overturned = rng.random() < 0.35
    verdict = "conforming" if overturned else "nonconforming"
    disputed = [{**i, "verdict": "pass" if overturned else "fail",
                 "measured_value": "符合" if overturned else "不符合",
                 "severity": None if overturned else i["severity"]}
                for i in items if i["verdict"] == "fail"]  # fmt: skip
    report = _report(h, agency, t.sample, "retest", reported, verdict, disputed, rng)
    retest.update(state="reported", report_id=report["id"], reported_at=_at(reported, 16))
    result.update(state="final", final_on=reported, verdict=verdict, report_id=report["id"],
                  fee_bearer="organiser" if overturned else "applicant")  # fmt: skip


def _outcome(h: History, d: Directory, t: Taken, risk: float, calendar: WorkCalendar,
             rng: random.Random) -> None:  # fmt: skip
    """The report (if it has arrived by `DEMO_AS_OF`) and the result's life since."""
    day = t.sample["sampled_on"]
    issued = calendar.next_working_day(day + timedelta(days=rng.randint(12, 35)))
    if issued > DEMO_AS_OF:
        return
    failing = 0 if rng.random() >= risk else (1 if rng.random() < 0.7 else 2)
    verdict = "nonconforming" if failing else "conforming"
    items = _items(t.product["standard"] or "GB/T 2828.1-2012", failing, rng)
    report = _report(h, t.agency, t.sample, "original", issued, verdict, items, rng)
    enterprise = d.enterprises[t.product["enterprise_uscc"]]
    window_end = calendar.period_end(issued, OBJECTION_DAYS)
    result = {"id": _uuid(rng), "sample_id": t.sample["id"], "task_id": t.task["id"],
              "plan_id": t.plan["id"], "product_id": t.product["id"],
              "enterprise_uscc": t.product["enterprise_uscc"],
              "organiser_code": t.plan["department_code"], "plan_level": t.plan["level"],
              "plan_kind": t.plan["kind"], "category_code": t.product["category_code"],
              "region_code": enterprise["region"], "place_type": t.sample["place_type"],
              "enterprise_size": enterprise["recorded_size"], "agency_id": t.agency["id"],
              "sampled_on": day, "original_report_id": report["id"], "report_id": report["id"],
              "verdict": verdict, "state": "notified", "notified_on": issued,
              "objection_window_ends_on": window_end, "final_on": None, "published_on": None,
              "fee_bearer": None, "created_at": _at(issued, 16)}  # fmt: skip
    recent = issued >= DEMO_AS_OF - timedelta(days=45)
    filed_by = issued + timedelta(days=10)
    if failing and filed_by <= DEMO_AS_OF and rng.random() < (0.5 if recent else OBJECTION_RATE):
        _contest(h, d, t, result, items, calendar, rng)
    elif window_end < DEMO_AS_OF:  # the lapse job makes it final the next day
        result.update(state="final", final_on=window_end + timedelta(days=1))
    if result["state"] == "final":
        result["published_on"] = result["final_on"]
        t.sampling["verdict"] = result["verdict"]
        if result["verdict"] == "nonconforming":
            province = d.province_of[enterprise["region"]]
            h.followed[province].append((result["final_on"], t.product))
    result["updated_at"] = _at(result["final_on"] or issued, 17)
    h.tables["results"].append(result)


def _product(h: History, spec: PlanSpec, pool: list[Row], day: date,
             rng: random.Random) -> Row | None:  # fmt: skip
    """A product for one batch. Follow-ups re-sample products found nonconforming earlier;
    everything else respects the six-month lock (rules §4) or is drawn again."""
    if spec.kind == "follow_up":
        due = [p for on, p in h.followed.get(spec.department["region_code"], []) if on < day]
        if not due:
            return None
        product = rng.choice(due)
        h.followed[spec.department["region_code"]] = [
            (on, p) for on, p in h.followed[spec.department["region_code"]] if p is not product
        ]
        return product
    for _ in range(20 if pool else 0):
        candidate = rng.choice(pool)
        last = h.last_sampled.get(candidate["id"])
        if spec.kind in EXEMPT_KINDS or last is None or (day - last).days >= LOCK_DAYS:
            return candidate
    return None


def generate(d: Directory, seed: int = DEMO_SEED) -> History:
    """The whole history, in memory; the same directory and seed always give the same rows."""
    rng = random.Random(f"{seed}/results")
    calendar = _calendar()
    cities = sorted({d.city_of[e["region"]] for e in d.enterprises.values()})
    city_risk = {city: 0.75 + 0.5 * rng.random() for city in cities}
    specs = _plan_specs(d)
    h = History()
    plans = h.tables["plans"] = [_plan_row(spec, rng) for spec in specs]
    first, span = date(YEARS[0], 1, 1), (LAST_SAMPLING_DAY - date(YEARS[0], 1, 1)).days
    days = [first + timedelta(n) for n in range(span + 1)]
    working = [day for day in days if calendar.is_working_day(day)]
    slots = []
    for index, spec in enumerate(specs):
        open_days = [day for day in working if spec.start <= day <= spec.end]
        slots += [(rng.choice(open_days), index) for _ in range(spec.batches)]
    pools = [_pool(spec, d) for spec in specs]
    for day, index in sorted(slots):
        product = _product(h, specs[index], pools[index], day, rng)
        taken = _take(h, d, specs[index], plans[index], product, day, rng) if product else None
        if taken:
            _outcome(h, d, taken, _risk(d, taken, city_risk), calendar, rng)
    quotas = Counter((t["plan_id"], t["category_code"]) for t in h.tables["sampling_tasks"])
    h.tables["plan_quotas"] = [
        {"id": _uuid(rng), "plan_id": plan_id, "category_code": category, "region_code": None,
         "quota": count}
        for (plan_id, category), count in sorted(quotas.items(), key=str)
    ]  # fmt: skip
    return h


_TABLES: Final[dict[str, type[SQLModel]]] = {
    "plans": Plan, "plan_quotas": PlanQuota, "sampling_tasks": SamplingTask,
    "samplings": Sampling, "samples": Sample, "test_reports": TestReport, "results": Result,
    "objections": Objection, "retests": Retest,
}  # fmt: skip


async def load_demo_results(
    session: AsyncSession, seed: int = DEMO_SEED, *, actor: Principal | None = None
) -> dict[str, int]:
    """Insert the demo history over the demo directory (one COPY per table), queue one audit
    record per table, and rebuild the pass-rate rollup. Does not commit."""
    actor = actor or system_principal("seed")
    history = generate(await _directory(session), seed)
    counts = {}
    for table, model in _TABLES.items():
        rows = history.tables[table]
        await _copy(session, model, rows)
        state = {"seed": seed, "count": len(rows), "digest": digest(rows)}
        audit.record(session, actor=actor.actor, action="seed.demo", entity_type=table,
                     entity_id="demo", state=state)  # fmt: skip
        counts[table] = len(rows)
    counts["rollup_rows"] = (await rebuild(session, actor=actor.actor)).rows
    return counts
