"""CSV export of pass rates (pure): the byte-order mark Excel needs for Chinese, the header, the
Chinese names beside the codes, empty cells for missing rates, and no formulas from names."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from decimal import Decimal

from models.stats import PassRateReport, PassRateRow, RegionGrouping
from service.stats.export import to_csv
from service.stats.wilson import method

AGENCY = uuid.UUID(int=7)


def report(*rows: PassRateRow) -> PassRateReport:
    return PassRateReport(
        group_by=["region", "agency", "year"],
        region_level=RegionGrouping.PREFECTURE,
        category_depth=None,
        date_from=date(2025, 1, 1),
        date_to=date(2025, 12, 31),
        filters={},
        published_only=False,
        method=method(),
        rows=list(rows),
    )


def row(agency_name: str, tested: int = 8, nonconforming: int = 1) -> PassRateRow:
    rate = Decimal(nonconforming) / tested if tested else None
    return PassRateRow(
        region="410100",
        region_name="郑州市",
        agency=AGENCY,
        agency_name=agency_name,
        year="2025",
        sampled=tested,
        tested=tested,
        nonconforming=nonconforming,
        nonconformity_rate=rate,
        pass_rate=1 - rate if rate is not None else None,
        ci_low=None,
        ci_high=None,
        nonconformity_ci_low=None,
        nonconformity_ci_high=None,
    )


def parsed(content: bytes) -> list[dict[str, str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_header_keys_names_then_figures() -> None:
    (only,) = parsed(to_csv(report(row("郑州市质量技术监督检验测试中心"))))
    assert list(only) == [
        "region", "region_name", "agency", "agency_name", "year", "sampled", "tested",
        "nonconforming", "nonconformity_rate", "pass_rate", "ci_low", "ci_high",
        "nonconformity_ci_low", "nonconformity_ci_high",
    ]  # fmt: skip
    assert (only["region_name"], only["agency"], only["agency_name"]) == (
        "郑州市",
        str(AGENCY),
        "郑州市质量技术监督检验测试中心",
    )
    assert (only["nonconformity_rate"], only["pass_rate"], only["ci_low"]) == (
        "0.125",
        "0.875",
        "",
    )


def test_a_name_is_never_a_formula() -> None:
    rows = parsed(to_csv(report(row('=HYPERLINK("http://x")'), row("@SUM(A1)"), row("-1+2"))))
    assert [r["agency_name"] for r in rows] == ['\'=HYPERLINK("http://x")', "'@SUM(A1)", "'-1+2"]
