"""Deterministic demo data for 河南 and 湖北: enterprises and their products, testing agencies,
inspectors and declared conflicts of interest. `generate_demo` is pure: each table draws from its
own `random.Random("<seed>/<table>")`, ids are UUIDs drawn from it and timestamps are fixed, so a
seed always gives the same rows, and dates (CMA validity) are relative to `DEMO_AS_OF`, not to the
day of loading. `load_demo` bulk-inserts them and records one audit entry per table whose state
holds the seed, the row count and the SHA-256 of the canonical rows."""

from __future__ import annotations

import random
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import cycle
from typing import Any, Final

from sqlalchemy import insert
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import Inspector, InspectorConflict, TestingAgency
from models.enterprise import Enterprise, Product
from seed.reference import load_categories, load_departments, load_regions
from service import audit
from service.auth import Principal
from service.canonical import digest
from service.product_identity import product_identity
from service.uscc import ALPHABET, make_uscc

DEMO_SEED: Final = 20261121
DEMO_AS_OF: Final = date(2026, 11, 21)
DEMO_CREATED_AT: Final = datetime(2026, 11, 20, 16, tzinfo=UTC)  # 00:00 in Shanghai
ENTERPRISE_COUNT: Final = 2_000
OVERRIDDEN_COUNT: Final = 3
CONFLICT_COUNT: Final = 6

Row = dict[str, Any]

# fmt: off
# Prefecture weights: 2023 GDP in units of 10 billion yuan (百亿元), rounded.
PREFECTURE_WEIGHTS: Final = {
    "410100": 136, "410200": 26, "410300": 55, "410400": 29, "410500": 25, "410600": 11,
    "410700": 33, "410800": 22, "410900": 19, "411000": 37, "411100": 18, "411200": 16,
    "411300": 46, "411400": 32, "411500": 30, "411600": 36, "411700": 31, "419001": 8,
    "420100": 200, "420200": 21, "420300": 22, "420500": 58, "420600": 58, "420700": 13,
    "420800": 23, "420900": 28, "421000": 31, "421100": 29, "421200": 19, "421300": 13,
    "422800": 14, "429004": 10, "429005": 9, "429006": 8, "429021": 1,
}
# Size: share in percent, fewest and most products.
SIZES: Final = {"large": (3, 3, 5), "medium": (12, 3, 5), "small": (45, 2, 5), "micro": (40, 1, 4)}
TRADE_FIRST: Final = "恒宏华金新鑫鼎瑞泰盛嘉永天中兴隆博汇豫楚荆安康东凯德润佳信宇"
TRADE_SECOND: Final = "达源丰昌通利翔远辉诚祥力发业邦美科创坤航"
OTHER_BRANDS: Final = ("黄河", "长江", "中原", "楚天", "嵩山", "武当", "牡丹", "雪莲", "飞鹿")
ROADS: Final = ("建设路", "人民路", "解放路", "中原路", "工业路", "发展大道", "长江路",
                "黄河路", "文化路", "创业路", "科技大道", "经三路", "纬五路", "新华路")
ZONES: Final = ("产业集聚区", "经济技术开发区", "工业园区")
# Shortens a region name for enterprise names: 郑州市 → 郑州, 长阳土家族自治县 → 长阳, 杞县 stays.
_SUFFIX: Final = re.compile("(?<=..)(土家族苗族自治州|土家族自治县|林区|市|县|区)$")
OVERRIDE_REASON: Final = ("试点地区赋码规则统一前核发的代码，校验码不符合GB 32100-2015；"
                          "已核对营业执照原件")
SURNAMES: Final = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许"
GIVEN: Final = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华建国志红玉兰海波宁鹏飞"
CONFLICT_REASONS: Final = ("配偶在该企业担任财务负责人", "近亲属持有该企业股份",
                           "曾在该企业任职，离职未满三年", "其子女在该企业从事质量管理工作")

# Leaf category: product names | model templates ("{}" takes a number) | numbers | standard.
LEAVES: Final = {
    "0101": ("聚丙烯餐盒|保鲜盒", "PP-{}ML|BXH-{}", "500 650 750 1000", "GB 4806.7-2016"),
    "0102": ("一次性纸杯|纸碗", "ZB-{}|ZW-{}", "250 300 400 500 750", "GB 4806.8-2022"),
    "0103": ("洗洁精|餐具洗涤剂", "{}g|{}g/瓶", "500 1000 1200 1500 2000", "GB/T 9985-2000"),
    "0104": ("不锈钢压力锅", "YL{}-A|YLB{}-2", "18 20 22 24 26", "GB 15066-2004"),
    "020101": ("羽绒服|羽绒马甲", "YR{}|YM{}", "2301 2305 2318 2326 2408", "GB/T 14272-2021"),
    "020102": ("羽绒被|鹅绒被", "{}cm|YB-{}", "150×200 200×230 220×240", "GB/T 22796-2021"),
    "0202": ("儿童T恤|童裤", "T{}|Q{}", "1101 1203 1208 1316 1422", "FZ/T 73045-2013"),
    "0203": ("婴儿连体衣|睡袋", "YE-{}|SD-{}", "59 66 73 80 90", "GB 31701-2015"),
    "0204": ("四件套|被套", "{}床|TZ-{}", "1.2m 1.5m 1.8m 2.0m", "GB/T 22796-2021"),
    "0205": ("学生校服", "XF-{}|XY-{}", "150/76A 160/80A 170/84A", "GB/T 31888-2015"),
    "0301": ("实木餐桌|实木衣柜", "ZT-{}|YG-{}", "1200 1400 1600 1800", "GB/T 3324-2017"),
    "030201": ("布艺沙发|皮革沙发", "SF-{}|PS-{}", "801 902 1003 1108", "QB/T 1952.1-2012"),
    "030202": ("弹簧软床垫", "CD-{}|DC-{}", "1500×2000 1800×2000 1200×1900", "QB/T 1952.2-2011"),
    "0303": ("儿童床|儿童书桌", "ET-{}|ES-{}", "101 108 203 216", "GB 28007-2011"),
    "0401": ("电冰箱", "BCD-{}WT|BCD-{}WDPV", "118 215 258 301 405 520", "GB 4706.13-2014"),
    "0402": ("波轮洗衣机|滚筒洗衣机", "XQB{}-8168|XQG{}-B14", "70 80 90 100", "GB 4706.24-2008"),
    "0403": ("空调器", "KFR-{}GW/BP3|KFR-{}LW/BP2", "26 35 50 72", "GB/T 7725-2022"),
    "0404": ("储水式电热水器", "DSZF-{}|F{}-21A1", "40 50 60 80 100", "GB 4706.12-2006"),
    "0405": ("电磁炉", "C21-RT{}|C22-WK{}", "2101 2134 2148 2201", "GB 4706.29-2008"),
    "0406": ("电饭煲", "MB-FB{}S|CFXB{}FC", "30 40 50", "GB 4706.19-2008"),
    "0407": ("吸油烟机", "CXW-{}-E900T|CXW-{}-JT12", "200 220 258 298", "GB 4706.28-2008"),
    "0501": ("智能手机", "HM-{}|ZX-{}", "A10 A20 N30 X50", "GB 4943.1-2022"),
    "0502": ("移动电源", "PB-{}mAh|YD{}", "5000 10000 20000", "GB/T 35590-2017"),
    "0503": ("电源适配器|USB充电器", "PA-{}W|CD-{}W", "10 18 20 33 65", "GB 4943.1-2022"),
    "0504": ("平板电脑", "TAB-{}|PD{}", "8 10 11 12", "GB 4943.1-2022"),
    "060101": ("塑胶积木|塑胶玩具车", "WJ-{}|JM{}", "3201 3305 5108 6012", "GB 6675.1-2014"),
    "060102": ("毛绒玩具熊|布绒公仔", "MR-{}cm|BR-{}", "20 30 45 60", "GB 6675.1-2014"),
    "0602": ("婴儿推车|儿童自行车", "TC-{}|ZX{}", "606 712 816 1203", "GB 14748-2006"),
    "0603": ("儿童安全座椅", "AQZY-{}|ISOFIX-{}", "01 02 05 09", "GB 27887-2011"),
    "0701": ("中性笔|修正带", "ZX-{}|WJ{}", "0.5 0.38 101 202", "GB 21027-2020"),
    "0702": ("学生书包|护脊书包", "SB-{}|HJ-{}", "1801 2203 2306 2410", "QB/T 4156-2010"),
    "0703": ("练习本|笔记本", "B5-{}页|A5-{}页", "32 40 60 80 100", "QB/T 1438-2007"),
    "0704": ("可升降课桌椅", "KZY-{}|SJ-{}", "3 4 5 6", "GB/T 3976-2014"),
    "0705": ("LED读写作业台灯", "TD-{}|LED-{}", "301 502 606 808", "GB/T 9473-2022"),
    "080101": ("实木复合地板", "{}×165×15mm|SF-{}", "910 1210 1810", "GB/T 18103-2022"),
    "080102": ("强化木地板", "{}×198×12mm|QH-{}", "1218 1215 808", "GB/T 18102-2020"),
    "0802": ("细木工板|刨花板", "2440×1220×{}mm|E1-{}", "9 12 15 18", "GB 18580-2017"),
    "0803": ("热轧带肋钢筋", "HRB400E Φ{}|HRB500E Φ{}", "12 16 20 25", "GB/T 1499.2-2018"),
    "0804": ("聚氯乙烯绝缘电线", "BV 450/750V 1×{}|BVR 1×{}", "1.5 2.5 4 6", "GB/T 5023.3-2008"),
    "0805": ("SBS防水卷材", "SBS I PY PE PE {}|SBS II PY S {}", "3 4 5", "GB 18242-2008"),
    "0806": ("瓷质抛光砖|釉面砖", "{}×{}mm|TC{}", "600 750 800", "GB/T 4100-2015"),
    "0807": ("PPR给水管|PVC-U排水管", "dn{} S4|dn{} S5", "20 25 32 40 50", "GB/T 18742.2-2017"),
    "090101": ("轿车子午线轮胎", "{}/55R16 91V|{}/65R15 91H", "185 195 205", "GB 9743-2015"),
    "090102": ("载重汽车轮胎", "{}R22.5 16PR|{}/80R22.5 18PR", "11 12 295 315", "GB 9744-2015"),
    "0902": ("汽车液压制动软管", "ZG-{}|YZ{}", "3210 3305 4108", "GB 16897-2010"),
    "0903": ("汽车夹层玻璃|钢化玻璃", "AS-{}|GH-{}", "1 2 3 5", "GB 9656-2021"),
    "1001": ("轮式拖拉机", "LX{}|SD{}", "704 904 1004 1304", "GB 18447.1-2008"),
    "1002": ("谷物联合收割机", "4LZ-{}|4LZ-{}G", "5 6 8 10", "GB 10395.7-2006"),
    "1003": ("旋耕机", "1GKN-{}|1GQN-{}", "180 200 230 250", "GB 10395.5-2013"),
    "1004": ("播种机", "2BYF-{}|2BMQF-{}", "2 3 4 6", "GB 10395.9-2014"),
    "1101": ("五孔插座|两极插头", "86-ZC{}|CT-{}", "10 16 101 161", "GB/T 2099.1-2021"),
    "1102": ("移动式插座|转换器", "ZH-{}|YD-{}", "3 4 5 6 8", "GB/T 2099.7-2015"),
    "1103": ("小型断路器", "DZ47-63 C{}|NB1-63 C{}", "10 16 20 25 32", "GB/T 10963.1-2020"),
    "1104": ("低压配电柜", "GGD{}|XL-21-{}", "1 2 3 4", "GB/T 7251.12-2013"),
    "1105": ("LED吸顶灯|LED筒灯", "XD-{}W|TD-{}W", "12 18 24 36", "GB 7000.1-2015"),
    "1201": ("电动自行车", "TDT{}Z|TDR{}Z", "1001 1205 2301 3102", "GB 17761-2018"),
    "1202": ("电动自行车乘员头盔", "TK-{}|A{}", "101 203 305 608", "GB 811-2022"),
    "1203": ("光学眼镜架|太阳镜", "YJ-{}|TY{}", "8011 8023 9105 9207", "GB/T 14214-2019"),
    "1204": ("婴儿纸尿裤|卫生巾", "NK-{}|WSJ-{}", "S M L XL", "GB 15979-2002"),
    "1205": ("运动鞋|旅游鞋", "X{}|LY{}", "1202 1316 2105 2218", "GB/T 15107-2013"),
    "1301": ("复合肥料", "N-P2O5-K2O {}|FH{}", "15-15-15 17-17-17 26-10-12", "GB/T 15063-2020"),
    "1302": ("掺混肥料", "BB肥 {}|CH{}", "18-18-9 20-10-15 25-10-10", "GB/T 21633-2020"),
    "1303": ("有机肥料", "有机质≥{}%|YJ-{}", "30 40 45", "NY/T 525-2021"),
    "1304": ("地膜", "DM-{}μm|PE-{}", "8 10 12 15", "GB 13735-2017"),
    "1401": ("工业用氢氧化钠", "{}", "IS-CT-I IS-IT-I IL-CT-32% IL-IT-50%", "GB/T 209-2018"),
    "1402": ("工业硫酸", "{}|H2SO4 {}", "98% 93% 105%", "GB/T 534-2014"),
    "1403": ("工业用甲醇", "{}|CH3OH-{}", "优等品 一等品 合格品", "GB/T 338-2011"),
    "1501": ("嵌入式燃气灶|台式燃气灶", "JZT-{}|JZY-{}", "2E01 2E05 3B08 B215", "GB 16410-2020"),
    "1502": ("燃气快速热水器", "JSQ{}-12|JSQ{}-16", "20 24 26 30", "GB 6932-2015"),
    "1503": ("燃气用不锈钢波纹软管", "RJ-{}|BW-{}", "0.5m 1.0m 1.5m 2.0m", "CJ/T 197-2010"),
    "1601": ("安全帽", "AQM-{}|ABS-{}", "01 05 08 12", "GB 2811-2019"),
    "1602": ("安全带", "DQ-{}|WZ-{}", "Y1 Y2 Z1 Z2", "GB 6095-2021"),
    "1701": ("车用汽油", "{}号(VIA)|{}号(VIB)", "92 95 98", "GB 17930-2016"),
    "1702": ("车用柴油", "{}号(VI)|{}号", "0 -10 -20 -35", "GB 19147-2016"),
}

# Industries: the leaf categories an enterprise's products come from | name words | weight.
INDUSTRIES: Final = (
    ("0101", "塑料制品|包装制品", 4), ("0102", "纸制品|包装", 3), ("0103", "日化|洗涤用品", 2),
    ("0104", "炊具|厨具", 1), ("020101 020102", "羽绒制品|服饰", 3), ("0202 0203", "童装", 4),
    ("0204 020102", "家纺", 3), ("0205", "服装|制衣", 2), ("0301 0303", "家具|木业", 5),
    ("030201 030202", "家居|软体家具", 3), ("0401 0402 0403", "电器|家电", 5),
    ("0404 0405 0406 0407", "电器|厨卫电器", 4), ("0501 0504", "电子科技|通讯设备", 2),
    ("0502 0503", "电子|电源科技", 3), ("060101 060102", "玩具", 3), ("0602 0603", "婴童用品", 2),
    ("0701 0703", "文具|文化用品", 3), ("0702", "箱包", 2), ("0704 0705", "教学设备|照明", 2),
    ("080101 080102 0802", "木业|板业", 4), ("0803", "钢铁|钢业", 2), ("0804", "电缆|线缆", 4),
    ("0805 0807", "建材|新型建材", 4), ("0806", "陶瓷", 2), ("090101 090102", "轮胎|橡胶", 2),
    ("0902 0903", "汽车零部件|汽配", 3), ("1001 1002 1003 1004", "农业机械|农机", 4),
    ("1101 1102 1103", "电气|电器", 4), ("1104", "电气设备|成套电气", 3), ("1105", "照明|光电", 3),
    ("1201 1202", "车业|电动车", 3), ("1203", "眼镜|光学", 1), ("1204", "卫生用品|纸业", 2),
    ("1205", "鞋业", 3), ("1301 1302 1303", "肥业|化肥", 4), ("1304", "塑业|农膜", 2),
    ("1401 1402 1403", "化工", 3), ("1501 1502 1503", "燃气具|厨具", 3),
    ("1601 1602", "劳保用品|安全防护", 2), ("1701 1702", "石化|能源", 1),
)

# Testing agencies: name, region, USCC authority and entity type (12 public institution,
# 91 company), CMA issue date (a certificate runs six years), scope ("04" covers all of 04…).
_ALL = " ".join(f"{n:02d}" for n in range(1, 18))
_CITY, _HEAVY = "01 02 03 04 05 06 07 11 12 15 16", "08 09 10 11 13 14 16 17"
AGENCIES: Final = (
    ("河南省产品质量监督检验院", "410000", "12", date(2025, 6, 18), _ALL),
    ("河南省计量测试科学研究院", "410000", "12", date(2024, 9, 3), "0403 0404 1103 1104 1701"),
    ("郑州市质量技术监督检验测试中心", "410100", "12", date(2025, 1, 10), _CITY),
    ("洛阳市质量技术监督检验测试中心", "410300", "12", date(2024, 11, 22), _HEAVY),
    ("河南省纤维检验局", "410000", "12", date(2026, 3, 30), "02 0702"),
    ("河南省建筑工程质量检验测试中心站有限公司", "410100", "91", date(2025, 8, 12), "08"),
    ("洛阳拖拉机研究所有限公司", "410300", "91", date(2024, 5, 20), "1001 1002 1003 1004"),
    ("南阳市产品质量检验检测中心", "411300", "12", date(2020, 11, 1), "01 13 14 17"),  # expired
    ("湖北省产品质量监督检验研究院", "420000", "12", date(2025, 4, 8), _ALL),
    ("武汉市产品质量监督检验所", "420100", "12", date(2024, 12, 16), _CITY),
    ("湖北省纤维检验局", "420000", "12", date(2020, 12, 29), "02 0702"),  # expires in December
    ("襄阳市产品质量监督检验所", "420600", "12", date(2025, 7, 1), "08 09 10 16"),
    ("宜昌市产品质量监督检验所", "420500", "12", date(2024, 10, 15), "08 13 14 17"),
    ("湖北省建筑工程质量监督检验测试中心有限公司", "420100", "91", date(2026, 5, 6), "08"),
)
# Inspectors per market-regulation bureau; a municipal one gets 2 + its weight // 45.
INSPECTORS: Final = {"national": 3, "provincial": 4}
# Columns every directory row shares: active, never deactivated, created at a fixed instant.
_STAMPS: Final[Row] = {"active": True, "deactivated_at": None, "created_at": DEMO_CREATED_AT,
                       "updated_at": DEMO_CREATED_AT}
# fmt: on


@dataclass(frozen=True)
class DemoCounts:
    enterprises: int
    products: int
    agencies: int
    inspectors: int
    conflicts: int


@dataclass(frozen=True)
class DemoData:
    """All demo rows, keyed by column name, in insert order."""

    seed: int
    enterprises: tuple[Row, ...]
    products: tuple[Row, ...]
    agencies: tuple[Row, ...]
    inspectors: tuple[Row, ...]
    conflicts: tuple[Row, ...]

    @property
    def counts(self) -> DemoCounts:
        return DemoCounts(*(len(rows) for _, _, rows in self.tables()))

    def tables(self) -> tuple[tuple[str, type[SQLModel], tuple[Row, ...]], ...]:
        return (
            ("enterprises", Enterprise, self.enterprises),
            ("products", Product, self.products),
            ("testing_agencies", TestingAgency, self.agencies),
            ("inspectors", Inspector, self.inspectors),
            ("inspector_conflicts", InspectorConflict, self.conflicts),
        )


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _places() -> dict[str, list[tuple[str, str, str]]]:
    """Per prefecture-level unit: (region, short name, address prefix) of each county, or itself."""
    regions = load_regions()
    names = {r.code: r.name for r in regions}
    places: dict[str, list[tuple[str, str, str]]] = {}
    for city in (r for r in regions if r.code in PREFECTURE_WEIGHTS):
        prefix = names[city.parent_code or ""] + city.name
        counties = [r for r in regions if r.parent_code == city.code and r.level == "county"]
        places[city.code] = [
            (
                c.code,
                _SUFFIX.sub("", city.name if c.name.endswith("区") else c.name),
                prefix + c.name,
            )
            for c in counties
        ] or [(city.code, _SUFFIX.sub("", city.name), prefix)]
    return places


def _enterprises(seed: int) -> tuple[list[Row], list[tuple[int, str]]]:
    """The rows, and each enterprise's industry and 字号 (its products' brand)."""
    rng = random.Random(f"{seed}/enterprises")
    places = _places()
    org_bases = rng.sample(range(10_000_000, 100_000_000), ENTERPRISE_COUNT)
    overridden = set(rng.sample(range(ENTERPRISE_COUNT), OVERRIDDEN_COUNT))
    rows: list[Row] = []
    profiles: list[tuple[int, str]] = []
    names: set[str] = set()
    for i, org_base in enumerate(org_bases):
        city = rng.choices(list(PREFECTURE_WEIGHTS), weights=list(PREFECTURE_WEIGHTS.values()))[0]
        region, short, address = rng.choice(places[city])
        size = rng.choices(list(SIZES), weights=[share for share, *_ in SIZES.values()])[0]
        industry = rng.choices(range(len(INDUSTRIES)), weights=[w for *_, w in INDUSTRIES])[0]
        suffix = rng.choice(("股份有限公司", "集团有限公司")) if size == "large" else "有限公司"
        name = ""
        while not name or name in names:
            trade = rng.choice(TRADE_FIRST) + rng.choice(TRADE_SECOND)
            name = f"{short}{trade}{rng.choice(INDUSTRIES[industry][1].split('|'))}{suffix}"
        names.add(name)
        # Larger enterprises are usually registered by the city bureau, the rest by the county.
        authority = city if size in ("large", "medium") else region
        uscc = make_uscc(authority, f"{org_base:08d}")
        reason = OVERRIDE_REASON if i in overridden else None
        if reason:  # a pre-standard pilot code: the check character does not fit
            uscc = uscc[:17] + ALPHABET[(ALPHABET.index(uscc[17]) + rng.randrange(1, 31)) % 31]
        zone = rng.choice(ZONES) if rng.random() < 0.3 else ""
        street = f"{address}{zone}{rng.choice(ROADS)}{rng.randrange(1, 400)}号"
        # No credit file yet, so every enterprise is in risk class B (models.enterprise).
        rows.append({"uscc": uscc, "name": name, "region_code": region, "size": size,
                     "address": street, "checksum_override_reason": reason, "risk_class": "B",
                     **_STAMPS})  # fmt: skip
        profiles.append((industry, trade))
    return rows, profiles


def _products(seed: int, enterprises: list[Row], profiles: list[tuple[int, str]]) -> list[Row]:
    rng = random.Random(f"{seed}/products")
    rows: list[Row] = []
    for enterprise, (industry, trade) in zip(enterprises, profiles, strict=True):
        leaves = INDUSTRIES[industry][0].split()
        brands = [trade, rng.choice(OTHER_BRANDS)] if rng.random() < 0.3 else [trade]
        keys: set[str] = set()
        for _ in range(rng.randint(*SIZES[enterprise["size"]][1:])):
            for _attempt in range(10):  # a repeated identity is drawn again, then given up
                leaf = rng.choice(leaves)
                names, templates, numbers, standard = LEAVES[leaf]
                brand = rng.choice(brands)
                # The n-th product name goes with the n-th template (波轮洗衣机 ↔ XQB…).
                template, name = rng.choice([*zip(templates.split("|"), cycle(names.split("|")))])
                model = template.format(*[rng.choice(numbers.split())] * 2)
                key = product_identity(standard=standard, brand=brand, model=model).key
                if key not in keys:
                    break
            else:
                continue
            keys.add(key)
            rows.append({"id": _uuid(rng), "enterprise_uscc": enterprise["uscc"],
                         "category_code": leaf, "name": name,
                         "brand": brand, "model": model, "standard": standard,
                         "identity_key": key, **_STAMPS})  # fmt: skip
    return rows


def _agencies(seed: int) -> list[Row]:
    rng = random.Random(f"{seed}/agencies")
    org_bases = rng.sample(range(10_000_000, 100_000_000), len(AGENCIES))
    rows: list[Row] = []
    for i, (name, region, kind, issued, scope) in enumerate(AGENCIES):
        # CMA number: year of issue, province (16 河南, 17 湖北), an eight-digit serial.
        cma = f"{issued:%y}{16 if region < '42' else 17}{rng.randrange(1, 10_000):04d}{i + 1:04d}"
        uscc = make_uscc(region, f"{org_bases[i]:08d}", authority=kind[0], entity_type=kind[1])
        rows.append({"id": _uuid(rng), "name": name, "uscc": uscc,
                     "cma_number": cma, "cma_valid_from": issued,
                     "cma_valid_until": issued.replace(year=issued.year + 6) - timedelta(days=1),
                     "cma_expired_on": None, "region_code": region,
                     "category_scope": sorted(scope.split()), **_STAMPS})  # fmt: skip
    return rows


def _inspectors(seed: int) -> list[Row]:
    rng = random.Random(f"{seed}/inspectors")
    groups = [c.code for c in load_categories() if c.parent_code is None]
    rows: list[Row] = []
    names: set[str] = set()
    for dept in (d for d in load_departments() if d.is_market_regulator):
        count = INSPECTORS.get(dept.level) or 2 + PREFECTURE_WEIGHTS[dept.region_code] // 45
        for serial in sorted(rng.sample(range(1, 100_000), count)):
            name = ""
            while not name or name in names:
                name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))
            names.add(name)
            rows.append({"id": _uuid(rng), "name": name, "department_code": dept.code,
                         "certificate_number": f"{dept.region_code}{serial:05d}",
                         "specialities": sorted(rng.sample(groups, rng.randint(1, 3))),
                         **_STAMPS})  # fmt: skip
    return rows


def _conflicts(seed: int, inspectors: list[Row], enterprises: list[Row]) -> list[Row]:
    """Municipal inspectors who declared a conflict with an enterprise of their own city."""
    rng = random.Random(f"{seed}/conflicts")
    city_of = {region: city for city, entries in _places().items() for region, *_ in entries}
    by_city: dict[str, list[str]] = defaultdict(list)
    for enterprise in enterprises:
        by_city["scjg-" + city_of[enterprise["region_code"]]].append(enterprise["uscc"])
    local = [i for i in inspectors if i["department_code"] in by_city]
    rows: list[Row] = []
    for inspector in rng.sample(local, CONFLICT_COUNT):  # distinct inspectors: distinct pairs
        uscc = rng.choice(by_city[inspector["department_code"]])
        rows.append({"id": _uuid(rng), "inspector_id": inspector["id"], "enterprise_uscc": uscc,
                     "reason": rng.choice(CONFLICT_REASONS),
                     "declared_at": DEMO_CREATED_AT})  # fmt: skip
    return rows


def generate_demo(seed: int = DEMO_SEED) -> DemoData:
    """All demo rows for `seed`, in memory; the same seed always gives the same rows."""
    enterprises, profiles = _enterprises(seed)
    inspectors = _inspectors(seed)
    return DemoData(
        seed=seed,
        enterprises=tuple(enterprises),
        products=tuple(_products(seed, enterprises, profiles)),
        agencies=tuple(_agencies(seed)),
        inspectors=tuple(inspectors),
        conflicts=tuple(_conflicts(seed, inspectors, enterprises)),
    )


async def load_demo(session: AsyncSession, actor: Principal, seed: int = DEMO_SEED) -> DemoCounts:
    """Insert the demo rows (one bulk statement per table) and queue one audit record per table.
    Does not commit: the caller does, with `service.db.commit`."""
    data = generate_demo(seed)
    for table, model, rows in data.tables():
        await session.exec(insert(model), params=list(rows))
        audit.record(
            session,
            actor=actor.actor,
            action="seed.demo",
            entity_type=table,
            entity_id="demo",
            state={"seed": seed, "count": len(rows), "digest": digest(rows)},
        )
    return data.counts


async def database_is_empty(session: AsyncSession) -> bool:
    """No enterprise yet: `qcs serve --demo` loads the demo only then."""
    return (await session.exec(select(col(Enterprise.uscc)).limit(1))).first() is None
