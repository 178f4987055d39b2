"""Paged pass rates: read page by page with any page size, the pages put together are exactly
the whole answer (the export), in the order of the group keys, for regions at every level,
category prefixes, agencies, periods and filters; a cursor from another query is refused."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.stats import RegionGrouping
from service.errors import InvalidInput
from service.pagination import PageRequest
from service.stats.query import Filters, Group, PassRateRequest, pass_rates
from tests.service.test_stats_rollup import FIXTURE, TODAY, add_batch

RANGE: dict[str, Any] = {"date_from": "2026-01", "date_to": "2026-04"}


@pytest.fixture
async def fixture(session: AsyncSession) -> None:
    for batch in FIXTURE:
        await add_batch(session, batch)


def snapshot(groups: list[Group]) -> list[tuple[Any, ...]]:
    return [(g.keys, g.sampled, g.tested, g.nonconforming) for g in groups]


SHAPES: list[dict[str, Any]] = [
    {"group_by": ["region"], "region_level": RegionGrouping.COUNTY},
    {"group_by": ["category", "region"], "category_depth": 2},
    {"group_by": ["month", "category"], "category_depth": 3},
    {"group_by": ["quarter", "region"], "region_level": RegionGrouping.PROVINCE},
    {"group_by": ["agency", "place_type"]},
    {"group_by": ["agency", "category"]},
    {"group_by": ["enterprise_size", "plan_level"]},
    {"group_by": ["place_type", "month"], "filters": Filters(region="410000")},
    {
        "group_by": ["region", "category"],
        "filters": Filters(category="04", place_type="production"),
    },
    {"group_by": ["region", "enterprise_size"], "region_level": RegionGrouping.COUNTY},
]


@pytest.mark.usefixtures("fixture")
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: ",".join(s["group_by"]))
async def test_pages_put_together_are_the_whole_answer(
    session: AsyncSession, shape: dict[str, Any]
) -> None:
    request = PassRateRequest(**{**RANGE, **shape})
    whole = await pass_rates(session, request, today=TODAY)
    assert len(whole.groups) >= 2
    for limit in (1, 2, 3):
        pages: list[Group] = []
        cursor = None
        while True:
            page = PageRequest(limit=limit, cursor=cursor)
            answer = await pass_rates(session, request, today=TODAY, page=page)
            assert len(answer.groups) <= limit
            pages += answer.groups
            if answer.next_cursor is None:
                break
            cursor = answer.next_cursor
        assert snapshot(pages) == snapshot(whole.groups)
    assert [g.position for g in whole.groups] == sorted(g.position for g in whole.groups)


@pytest.mark.usefixtures("fixture")
async def test_rows_come_in_key_order_whatever_the_order_of_group_by(
    session: AsyncSession,
) -> None:
    request = PassRateRequest(group_by=["place_type", "region"], **RANGE)
    answer = await pass_rates(session, request, today=TODAY)
    assert [(r.region, r.place_type) for r in answer.rows] == [
        ("410100", "circulation"),
        ("410100", "e_commerce"),
        ("410100", "production"),
        ("410300", "e_commerce"),
        ("410300", "production"),
        ("419001", "production"),
        ("420100", "e_commerce"),
        ("420100", "production"),
    ]


@pytest.mark.usefixtures("fixture")
async def test_a_cursor_of_another_query_or_of_nothing_is_refused(session: AsyncSession) -> None:
    by_region = PassRateRequest(group_by=["region"], **RANGE)
    answer = await pass_rates(session, by_region, today=TODAY, page=PageRequest(limit=1))
    assert answer.next_cursor is not None
    by_month = PassRateRequest(group_by=["region", "month"], **RANGE)
    for request, cursor in [(by_month, answer.next_cursor), (by_region, "bm9wZQ")]:
        with pytest.raises(InvalidInput) as refused:
            await pass_rates(session, request, today=TODAY, page=PageRequest(1, cursor))
        assert refused.value.code == "pagination.cursor_invalid"
