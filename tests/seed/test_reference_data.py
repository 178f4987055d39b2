"""Integrity of the reference data the service seeds: regions, product categories, departments.

No database: these check the shipped CSVs through the same loader the seeding code uses.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from seed.reference import (
    DEPARTMENT_KINDS,
    REGION_LEVELS,
    load_categories,
    load_departments,
    load_regions,
)

# CI clones the repository with shared/ beside it, as the work tree is laid out locally.
SHARED_COUNTIES = (
    Path(__file__).resolve().parents[2].parent / "shared/data/regions_henan_hubei_counties.csv"
)

# Province-administered county-level units: their county codes double as prefecture rows.
DIRECT_UNITS = {
    "419001": ("济源市", "410000"),
    "429004": ("仙桃市", "420000"),
    "429005": ("潜江市", "420000"),
    "429006": ("天门市", "420000"),
    "429021": ("神农架林区", "420000"),
}
PROVINCES = ("410000", "420000")
CONSUMER_KINDS = ("fgw", "czt", "zjt", "rmyh", "zrzyt", "swj", "ggzy", "kjt")


def _rank(level: str) -> int:
    return REGION_LEVELS.index(level)


def _shared_counties() -> list[dict[str, str]]:
    if not SHARED_COUNTIES.exists():
        pytest.skip(f"shared county list not found at {SHARED_COUNTIES}")
    with SHARED_COUNTIES.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# --- files -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["regions.csv", "product_categories.csv", "departments.csv"])
def test_csv_is_plain_utf8_sorted_by_code(name: str) -> None:
    raw = resources.files("seed.data").joinpath(name).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "no BOM: some CSV readers keep it in the header"
    assert b"\r" not in raw
    codes = [row["code"] for row in csv.DictReader(raw.decode("utf-8").splitlines())]
    if name != "departments.csv":
        assert codes == sorted(codes)


def test_loaders_return_fresh_lists() -> None:
    regions = load_regions()
    regions.clear()
    assert load_regions()


# --- regions -----------------------------------------------------------------------------------


def test_region_codes_are_six_digits_and_unique() -> None:
    codes = [r.code for r in load_regions()]
    assert all(re.fullmatch(r"[0-9]{6}", code) for code in codes)
    assert len(codes) == len(set(codes))


def test_region_hierarchy_has_one_root_and_higher_parents() -> None:
    regions = {r.code: r for r in load_regions()}
    roots = [r for r in regions.values() if r.parent_code is None]
    assert [(r.code, r.name, r.level) for r in roots] == [("000000", "中华人民共和国", "national")]
    for region in regions.values():
        if region.parent_code is None:
            continue
        parent = regions[region.parent_code]
        assert _rank(parent.level) < _rank(region.level), region


def test_regions_come_parents_first() -> None:
    seen: set[str] = set()
    for region in load_regions():
        assert region.parent_code is None or region.parent_code in seen, region
        seen.add(region.code)


def test_provinces() -> None:
    provinces = {(r.code, r.name, r.parent_code) for r in load_regions() if r.level == "province"}
    assert provinces == {("410000", "河南省", "000000"), ("420000", "湖北省", "000000")}


def test_prefecture_counts_and_names() -> None:
    prefectures = {r.code: r for r in load_regions() if r.level == "prefecture"}
    by_province = Counter(r.parent_code for r in prefectures.values())
    assert by_province == {"410000": 18, "420000": 17}
    assert prefectures["410100"].name == "郑州市"
    assert prefectures["411700"].name == "驻马店市"
    assert prefectures["420100"].name == "武汉市"
    assert prefectures["420600"].name == "襄阳市"
    assert prefectures["422800"].name == "恩施土家族苗族自治州"


@pytest.mark.parametrize(("code", "expected"), sorted(DIRECT_UNITS.items()))
def test_province_administered_units_are_prefecture_level(
    code: str, expected: tuple[str, str]
) -> None:
    matches = [r for r in load_regions() if r.code == code]
    assert len(matches) == 1
    region = matches[0]
    assert (region.name, region.parent_code) == expected
    assert region.level == "prefecture"


def test_there_is_no_420400() -> None:
    # 420400 was 沙市市, merged into 荆沙市 (now 荆州市) in 1994; GB/T 2260 never reuses a code.
    assert "420400" not in {r.code for r in load_regions()}


def test_every_shared_county_present_exactly_once() -> None:
    shared = _shared_counties()
    regions = Counter(r.code for r in load_regions())
    by_code = {r.code: r for r in load_regions()}
    for row in shared:
        assert regions[row["code"]] == 1, row
        region = by_code[row["code"]]
        assert region.name == row["name"]
        if row["code"] in DIRECT_UNITS:
            assert region.level == "prefecture"
        else:
            assert region.level == "county"
            assert region.parent_code == row["city_code"] + "00"


def test_counties_come_only_from_the_shared_list() -> None:
    shared = {row["code"] for row in _shared_counties()} - DIRECT_UNITS.keys()
    assert {r.code for r in load_regions() if r.level == "county"} == shared


# --- product categories ------------------------------------------------------------------------


def test_category_codes_are_unique_and_prefix_hierarchical() -> None:
    categories = load_categories()
    codes = [c.code for c in categories]
    assert len(codes) == len(set(codes))
    known = set(codes)
    for category in categories:
        assert re.fullmatch(r"(?:[0-9]{2}){1,3}", category.code), category
        assert category.parent_code == (category.code[:-2] or None), category
        assert category.parent_code is None or category.parent_code in known


def test_categories_come_parents_first() -> None:
    seen: set[str] = set()
    for category in load_categories():
        assert category.parent_code is None or category.parent_code in seen, category
        seen.add(category.code)


def test_category_size() -> None:
    categories = load_categories()
    top = [c for c in categories if c.parent_code is None]
    assert 14 <= len(top) <= 18
    assert 60 <= len(categories) <= 100
    # A group without products could not carry a sampling quota.
    parents = {c.parent_code for c in categories}
    assert all(t.code in parents for t in top)


@pytest.mark.parametrize(
    ("group", "members"),
    [
        (
            "食品及食品相关产品",
            ["食品用塑料包装容器工具等制品", "食品用纸包装、容器等制品", "餐具洗涤剂"],
        ),
        ("纺织品及服装", ["羽绒制品", "儿童服装"]),
        ("家具", ["木制家具", "软体家具", "儿童家具"]),
        ("家用电器", ["电冰箱", "洗衣机", "房间空气调节器", "电热水器", "电磁灶"]),
        ("智能终端及电子产品", ["手机", "移动电源", "电源适配器"]),
        ("儿童用品及玩具", ["玩具", "童车", "儿童安全座椅"]),
        ("学生用品", ["文具", "书包"]),
        (
            "建筑和装饰装修材料",
            ["地板", "实木复合地板", "强化木地板", "钢筋混凝土用热轧带肋钢筋", "电线电缆"],
        ),
        ("汽车及零部件", ["轮胎", "汽车制动软管"]),
        ("农业机械", ["拖拉机"]),
        ("电工及材料", ["插头插座", "断路器", "低压成套开关设备"]),
        ("日用消费品", ["电动自行车"]),
        ("农业生产资料", ["复合肥料"]),
        ("危险化学品", ["工业用氢氧化钠"]),
    ],
)
def test_required_category_families(group: str, members: list[str]) -> None:
    categories = load_categories()
    tops = [c for c in categories if c.parent_code is None and c.name == group]
    assert len(tops) == 1, group
    prefix = tops[0].code
    under = {c.name for c in categories if c.code.startswith(prefix) and c.code != prefix}
    assert set(members) <= under


def test_category_names_are_unique() -> None:
    names = Counter(c.name for c in load_categories())
    assert [name for name, n in names.items() if n > 1] == []


# --- departments -------------------------------------------------------------------------------


def test_department_codes_are_kind_dash_region() -> None:
    departments = load_departments()
    region_codes = {r.code for r in load_regions()}
    codes = [d.code for d in departments]
    assert len(codes) == len(set(codes))
    for d in departments:
        assert d.kind in DEPARTMENT_KINDS
        assert d.code == f"{d.kind}-{d.region_code}"
        assert d.region_code in region_codes


def test_every_prefecture_has_exactly_one_municipal_bureau() -> None:
    scjg = Counter(d.region_code for d in load_departments() if d.kind == "scjg")
    prefectures = [r.code for r in load_regions() if r.level == "prefecture"]
    assert all(scjg[code] == 1 for code in prefectures)
    municipal = {d.region_code for d in load_departments() if d.level == "municipal"}
    assert municipal == set(prefectures)


@pytest.mark.parametrize("province", PROVINCES)
@pytest.mark.parametrize("kind", ["scjg", "fgw", "czt", "zjt", "rmyh"])
def test_api_department_codes_exist(kind: str, province: str) -> None:
    assert f"{kind}-{province}" in {d.code for d in load_departments()}


def test_fixed_department_names() -> None:
    names = {d.code: d.name for d in load_departments()}
    assert names["samr-000000"] == "国家市场监督管理总局"
    assert names["scjg-410000"] == "河南省市场监督管理局"
    assert names["scjg-410100"] == "郑州市市场监督管理局"
    assert names["scjg-419001"] == "济源市市场监督管理局"
    assert names["scjg-422800"] == "恩施土家族苗族自治州市场监督管理局"
    assert names["scjg-429021"] == "神农架林区市场监督管理局"
    assert names["rmyh-410000"] == "中国人民银行河南省分行"
    assert names["rmyh-420000"] == "中国人民银行湖北省分行"
    assert names["swj-420000"] == "国家税务总局湖北省税务局"


def test_department_levels_and_regulator_flag() -> None:
    regions = {r.code: r for r in load_regions()}
    expected_level = {"national": "national", "province": "provincial", "prefecture": "municipal"}
    for d in load_departments():
        assert d.level == expected_level[regions[d.region_code].level], d
        assert d.is_market_regulator == (d.kind in {"samr", "scjg"}), d
    assert {d.code for d in load_departments() if d.kind == "samr"} == {"samr-000000"}


def test_consuming_departments_for_both_provinces() -> None:
    codes = {d.code for d in load_departments() if not d.is_market_regulator}
    assert codes == {f"{kind}-{p}" for kind in CONSUMER_KINDS for p in PROVINCES}
