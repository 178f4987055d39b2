"""Pass rates as bytes (pure): the CSV's byte-order mark Excel needs for Chinese, the header, the
Chinese names beside the codes, empty cells for missing rates, no formulas from names, every
row across chunks; the JSON page in the documented `PassRateReport` shape."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date

import orjson

from models.stats import PassRateReport, RegionGrouping
from service.stats.export import csv_chunks, to_csv, to_json
from service.stats.query import Group, Names, PassRates

AGENCY = uuid.UUID(int=7)


def answer(*agency_names: str, tested: int = 8, nonconforming: int = 1) -> PassRates:
    groups = [
        Group(
            keys={"region": "410100", "agency": uuid.UUID(int=i), "year": date(2025, 1, 1)},
            sampled=tested,
            tested=tested,
            nonconforming=nonconforming,
        )
        for i in range(7, 7 + len(agency_names))
    ]
    return PassRates(
        group_by=("region", "agency", "year"),
        region_level=RegionGrouping.PREFECTURE,
        category_depth=None,
        date_from=date(2025, 1, 1),
        date_to=date(2025, 12, 31),
        filters={},
        published_only=False,
        groups=groups,
        names=Names(
            regions={"410100": "郑州市"},
            categories={},
            agencies={uuid.UUID(int=i): n for i, n in enumerate(agency_names, 7)},
        ),
    )


def parsed(content: bytes) -> list[dict[str, str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_header_keys_names_then_figures() -> None:
    (only,) = parsed(to_csv(answer("郑州市质量技术监督检验测试中心")))
    assert list(only) == [
        "region", "region_name", "agency", "agency_name", "year", "sampled", "tested",
        "nonconforming", "nonconformity_rate", "pass_rate", "ci_low", "ci_high",
        "nonconformity_ci_low", "nonconformity_ci_high",
    ]  # fmt: skip
    assert (only["region_name"], only["agency"], only["agency_name"], only["year"]) == (
        "郑州市",
        str(AGENCY),
        "郑州市质量技术监督检验测试中心",
        "2025",
    )
    assert (only["nonconformity_rate"], only["pass_rate"]) == ("0.1250", "0.8750")


def test_nothing_tested_leaves_the_rates_empty() -> None:
    (only,) = parsed(to_csv(answer("机构", tested=0, nonconforming=0)))
    assert (only["tested"], only["pass_rate"], only["ci_low"]) == ("0", "", "")


def test_a_name_is_never_a_formula() -> None:
    rows = parsed(to_csv(answer('=HYPERLINK("http://x")', "@SUM(A1)", "-1+2")))
    assert [r["agency_name"] for r in rows] == ['\'=HYPERLINK("http://x")', "'@SUM(A1)", "'-1+2"]


def test_a_large_answer_comes_in_chunks_with_every_row_once() -> None:
    chunks = list(csv_chunks(answer(*(f"机构{i}" for i in range(4_500)))))
    assert len(chunks) > 2
    rows = parsed(b"".join(chunks))
    assert [r["agency_name"] for r in rows] == [f"机构{i}" for i in range(4_500)]


def test_the_json_page_has_the_documented_shape() -> None:
    document = orjson.loads(to_json(answer("机构")))
    report = PassRateReport.model_validate(document)
    assert report.next_cursor is None
    (row,) = document["rows"]
    assert row["agency"] == str(AGENCY)
    assert (row["pass_rate"], row["ci_low"], row["ci_high"]) == ("0.8750", "0.5291", "0.9776")
    assert report.rows[0].model_dump(mode="json", exclude_unset=True) == row
