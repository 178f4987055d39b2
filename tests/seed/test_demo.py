"""The demo-data generator: deterministic, realistic enough to drive draws (valid USCCs, agencies
covering every category in both provinces, two inspectors per bureau), and loaded in bulk with
one audit entry per table."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import SQLModel, col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import Listing
from models.enterprise import Enterprise
from models.plan import Draw, Plan, SamplingTask
from models.system import AuditEntry
from seed.demo import (
    DEMO_AS_OF,
    DEMO_SEED,
    INDUSTRIES,
    DemoData,
    database_is_empty,
    generate_demo,
    load_demo,
)
from seed.demo_blacklist import load_demo_blacklist
from seed.demo_plans import load_demo_plans
from seed.reference import load_categories, load_departments, load_regions
from service.audit import verify_chain
from service.auth import system_principal
from service.canonical import canonical_json, digest
from service.db import commit
from service.directory.agencies import covers_category, mark_expired_certificates
from service.product_identity import product_identity
from service.uscc import UsccError, parse_uscc

PROVINCES = ("41", "42")


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate_demo()


def _province(region_code: str) -> str:
    return region_code[:2]


# --- determinism -------------------------------------------------------------------------------


def test_the_same_seed_gives_byte_identical_rows(demo: DemoData) -> None:
    again = generate_demo(DEMO_SEED)
    assert again == demo
    for (table, _, rows), (_, _, rows_again) in zip(demo.tables(), again.tables(), strict=True):
        assert canonical_json(list(rows_again)) == canonical_json(list(rows)), table


def test_another_seed_gives_other_rows(demo: DemoData) -> None:
    other = generate_demo(DEMO_SEED + 1)
    for (table, _, rows), (_, _, other_rows) in zip(demo.tables(), other.tables(), strict=True):
        assert digest(list(other_rows)) != digest(list(rows)), table


# --- counts and shape --------------------------------------------------------------------------


def test_counts_meet_the_minimums(demo: DemoData) -> None:
    counts = demo.counts
    assert counts.enterprises >= 2_000
    assert 5_000 <= counts.products <= 7_000
    assert counts.agencies >= 10
    assert counts.inspectors >= 60
    assert counts.conflicts >= 3


def test_rows_carry_exactly_the_table_columns(demo: DemoData) -> None:
    for table, model, rows in demo.tables():
        columns = set(model.model_fields)
        assert all(set(row) == columns for row in rows), table


def test_every_enterprise_has_one_to_five_products(demo: DemoData) -> None:
    per_enterprise = Counter(p["enterprise_uscc"] for p in demo.products)
    assert set(per_enterprise) == {e["uscc"] for e in demo.enterprises}
    assert set(per_enterprise.values()) <= {1, 2, 3, 4, 5}


def test_enterprises_spread_over_both_provinces_weighted_by_economy(demo: DemoData) -> None:
    regions = {r.code: r for r in load_regions()}
    with_counties = {r.parent_code for r in regions.values() if r.level == "county"}
    cities: Counter[str] = Counter()
    for enterprise in demo.enterprises:
        region = regions[enterprise["region_code"]]
        # A county, or a province-administered unit that has no counties (济源, 仙桃 …).
        assert region.level == "county" or region.code not in with_counties, region
        cities[region.code if region.level != "county" else region.parent_code or ""] += 1
    provinces = Counter(_province(e["region_code"]) for e in demo.enterprises)
    assert min(provinces.values()) > 0.4 * len(demo.enterprises)
    assert {code for code, _ in cities.most_common(2)} == {"410100", "420100"}


def test_size_mix(demo: DemoData) -> None:
    sizes = Counter(e["size"] for e in demo.enterprises)
    share = {size: n / len(demo.enterprises) for size, n in sizes.items()}
    assert 0.01 < share["large"] < 0.06
    assert 0.08 < share["medium"] < 0.16
    assert 0.40 < share["small"] < 0.50
    assert 0.35 < share["micro"] < 0.45


def test_names_are_unique_and_chinese(demo: DemoData) -> None:
    names = [e["name"] for e in demo.enterprises]
    assert len(set(names)) == len(names)
    assert all(name.endswith("有限公司") for name in names)
    assert all(e["address"].startswith(("河南省", "湖北省")) for e in demo.enterprises)


# --- identifiers -------------------------------------------------------------------------------


def test_every_uscc_parses_and_overridden_ones_fail_without_their_reason(demo: DemoData) -> None:
    overridden = [e for e in demo.enterprises if e["checksum_override_reason"]]
    assert len(overridden) == 3
    for enterprise in demo.enterprises:
        reason = enterprise["checksum_override_reason"]
        parsed = parse_uscc(enterprise["uscc"], checksum_override_reason=reason)
        assert parsed.value == enterprise["uscc"]
        assert parsed.checksum_overridden == (reason is not None)
    for enterprise in overridden:
        with pytest.raises(UsccError) as raised:
            parse_uscc(enterprise["uscc"])
        assert raised.value.code == "uscc.checksum"
    for agency in demo.agencies:
        assert parse_uscc(agency["uscc"]).region_code == agency["region_code"]
    usccs = [e["uscc"] for e in demo.enterprises]
    assert len(set(usccs)) == len(usccs)


def test_product_identities_are_normalised_and_unique_per_enterprise(demo: DemoData) -> None:
    seen: set[tuple[str, str]] = set()
    for product in demo.products:
        identity = product_identity(
            standard=product["standard"], brand=product["brand"], model=product["model"]
        )
        assert product["identity_key"] == identity.key
        pair = (product["enterprise_uscc"], product["identity_key"])
        assert pair not in seen, pair
        seen.add(pair)
    assert len({p["id"] for p in demo.products}) == len(demo.products)


def test_products_use_leaf_categories_of_one_industry_per_enterprise(demo: DemoData) -> None:
    categories = load_categories()
    parents = {c.parent_code for c in categories}
    leaves = {c.code for c in categories} - parents
    industries = [set(leaf_codes.split()) for leaf_codes, *_ in INDUSTRIES]
    by_enterprise: dict[str, set[str]] = defaultdict(set)
    for product in demo.products:
        assert product["category_code"] in leaves, product
        by_enterprise[product["enterprise_uscc"]].add(product["category_code"])
    for codes in by_enterprise.values():
        assert any(codes <= industry for industry in industries), codes
    # Every leaf category has demo products to sample.
    assert set().union(*by_enterprise.values()) == leaves


# --- agencies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [DEMO_AS_OF, date.today()])
def test_every_product_category_has_two_valid_agencies_in_each_province(
    demo: DemoData, day: date
) -> None:
    # The `date.today()` case starts failing on 2030-10-15, when the first certificate a
    # category depends on lapses: the demo would then leave draws without two agencies, so
    # move DEMO_AS_OF and the issue dates on.
    valid = [a for a in demo.agencies if a["cma_valid_from"] <= day <= a["cma_valid_until"]]
    for category in {p["category_code"] for p in demo.products}:
        for province in PROVINCES:
            covering = [
                a
                for a in valid
                if _province(a["region_code"]) == province
                and covers_category(a["category_scope"], category)
            ]
            assert len(covering) >= 2, (category, province, day)


def test_the_cma_job_has_something_to_do(demo: DemoData) -> None:
    until = sorted(a["cma_valid_until"] for a in demo.agencies)
    assert until[0] < DEMO_AS_OF  # expired, not yet marked
    assert DEMO_AS_OF <= until[1] <= DEMO_AS_OF + timedelta(days=60)  # expiring soon
    assert all(a["cma_expired_on"] is None for a in demo.agencies)


def test_agency_numbers_and_scopes(demo: DemoData) -> None:
    categories = {c.code for c in load_categories()}
    numbers = [a["cma_number"] for a in demo.agencies]
    assert len(set(numbers)) == len(numbers)
    assert all(len(n) == 12 and n.isdigit() for n in numbers)
    assert all(set(a["category_scope"]) <= categories for a in demo.agencies)
    scope_sizes = {len(a["category_scope"]) for a in demo.agencies}
    assert min(scope_sizes) == 1  # narrow
    assert max(scope_sizes) == 17  # every group


# --- inspectors and conflicts ------------------------------------------------------------------


def test_every_prefecture_bureau_has_at_least_two_inspectors(demo: DemoData) -> None:
    per_department = Counter(i["department_code"] for i in demo.inspectors)
    regulators = {d.code: d for d in load_departments() if d.is_market_regulator}
    assert set(per_department) <= set(regulators)
    municipal = [code for code, d in regulators.items() if d.level == "municipal"]
    assert len(municipal) == 35
    assert all(per_department[code] >= 2 for code in municipal)
    assert per_department["samr-000000"] > 0
    assert per_department["scjg-410000"] > 0
    assert per_department["scjg-420000"] > 0


def test_inspector_certificates_and_specialities(demo: DemoData) -> None:
    groups = {c.code for c in load_categories()}
    certificates = [i["certificate_number"] for i in demo.inspectors]
    assert len(set(certificates)) == len(certificates)
    assert all(i["specialities"] and set(i["specialities"]) <= groups for i in demo.inspectors)


def test_conflicts_link_an_inspector_to_an_enterprise_of_their_city(demo: DemoData) -> None:
    inspectors = {i["id"]: i for i in demo.inspectors}
    regions = {r.code: r for r in load_regions()}
    enterprises = {e["uscc"]: e for e in demo.enterprises}
    pairs = {(c["inspector_id"], c["enterprise_uscc"]) for c in demo.conflicts}
    assert len(pairs) == len(demo.conflicts)
    for conflict in demo.conflicts:
        department = inspectors[conflict["inspector_id"]]["department_code"]
        region = regions[enterprises[conflict["enterprise_uscc"]]["region_code"]]
        city = region.parent_code if region.level == "county" else region.code
        assert department == f"scjg-{city}"
        assert conflict["reason"]


# --- loading -----------------------------------------------------------------------------------


async def _count(session: AsyncSession, model: type[SQLModel]) -> int:
    return (await session.exec(select(func.count()).select_from(model))).one()


async def test_load_demo_inserts_every_row_with_one_audit_entry_per_table(
    session: AsyncSession, demo: DemoData
) -> None:
    assert await database_is_empty(session)
    counts = await load_demo(session, system_principal("demo-test"))
    await commit(session)

    assert counts == demo.counts
    assert not await database_is_empty(session)
    for table, model, rows in demo.tables():
        assert await _count(session, model) == len(rows), table
    entries = (
        await session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.action) == "seed.demo")
            .order_by(col(AuditEntry.seq))
        )
    ).all()
    assert [e.entity_type for e in entries] == [table for table, _, _ in demo.tables()]
    for entry, (_, _, rows) in zip(entries, demo.tables(), strict=True):
        state = {"seed": DEMO_SEED, "count": len(rows), "digest": digest(rows)}
        assert (entry.entity_id, entry.state_digest) == ("demo", digest(state))
    report = await verify_chain(session)
    assert report.ok, report


async def test_loaded_rows_read_back_as_generated(session: AsyncSession, demo: DemoData) -> None:
    await load_demo(session, system_principal("demo-test"))
    await commit(session)
    for table, model, rows in demo.tables():
        key = "uscc" if model is Enterprise else "id"
        stored: dict[Any, dict[str, Any]] = {
            getattr(obj, key): obj.model_dump() for obj in (await session.exec(select(model))).all()
        }
        assert {row[key]: row for row in rows} == stored, table
    # The expired agency is there for the CMA job to mark.
    assert await mark_expired_certificates(session, actor="test", today=DEMO_AS_OF) == 1


async def test_the_demo_has_a_published_plan_and_an_executed_draw(session: AsyncSession) -> None:
    await load_demo(session, system_principal("test"))
    await load_demo_plans(session)
    await commit(session)
    states = sorted((await session.exec(select(Plan.state))).all())
    assert states == ["drawn", "published"]
    draw = (await session.exec(select(Draw))).one()
    assert draw.state == "executed"
    tasks = (await session.exec(select(SamplingTask))).all()
    assert len(tasks) == 20


async def test_the_demo_has_listings_in_every_state_of_the_procedure(
    session: AsyncSession,
) -> None:
    await load_demo(session, system_principal("test"))
    counts = await load_demo_blacklist(session)
    await commit(session)
    assert counts == {
        "awaiting_consent": 1,
        "dropped": 1,
        "listed": 1,
        "noticed": 1,
        "removed": 1,
    }
    removed = (await session.exec(select(Listing).where(col(Listing.state) == "removed"))).one()
    assert (removed.removal_reason, removed.removed_on) == ("early_removal", date(2026, 6, 10))
    noticed = (await session.exec(select(Listing).where(col(Listing.state) == "noticed"))).one()
    assert noticed.statement_due_on is not None
    assert noticed.statement_due_on > DEMO_AS_OF
