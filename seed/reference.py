"""Reference data: the fixed directories every other record points at.

Four tables are seeded from CSV files shipped in ``seed/data`` and read here without a database, so
the data can be checked by plain tests and upserted by whichever code owns the schema:

* **Regions** (``regions.csv``) — GB/T 2260 administrative divisions for 河南省 and 湖北省: the
  national root, the two provinces, their prefecture-level units and their counties. Counties come
  from the shared file ``regions_henan_hubei_counties.csv`` (National Bureau of Statistics division
  list, development-zone codes removed). 济源, 仙桃, 潜江, 天门 and 神农架 are county-level units
  administered directly by their province (codes ``4190xx``/``4290xx``); they are seeded once, as
  prefecture-level rows, because that is where they sit in every roll-up and ranking.
* **Product categories** (``product_categories.csv``) — the product groups named in the Henan and
  Hubei product-quality supervision sampling plans, in SAMR naming style, with a prefix-coded
  hierarchy: 2-digit groups, 4-digit products, 6-digit sub-products.
* **Measures** (``measures.csv``) — the joint-punishment measures catalogue (rules §10): each
  measure with its legal basis and the kinds of department that apply it.
* **Departments** (``departments.csv``) — the market-regulation bureaux that organise sampling
  (national, provincial, municipal) and the provincial departments that consume the lists for joint
  punishment. Their codes ``<kind>-<region code>`` are part of the public API and must never change.

The loaders validate structure (unique codes, known levels, parents that exist and sit higher) so
a bad edit to a CSV fails here, with its line number, rather than as a foreign-key error in the
middle of a seed. Rows come back parents first, ready to be inserted in order.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

DATA_PACKAGE: Final = "seed.data"

# Ordered from the top of the hierarchy down; the position is the rank used for ordering and for
# checking that a parent sits above its child.
REGION_LEVELS: Final = ("national", "province", "prefecture", "county")
DEPARTMENT_LEVELS: Final = ("national", "provincial", "municipal", "county")
DEPARTMENT_KINDS: Final = frozenset(
    {"samr", "scjg", "fgw", "czt", "zjt", "rmyh", "zrzyt", "swj", "ggzy", "kjt"}
)

_REGION_CODE = re.compile(r"[0-9]{6}")
_CATEGORY_CODE = re.compile(r"(?:[0-9]{2}){1,3}")
_BOOLEANS: Final = {"true": True, "false": False}


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    level: str
    parent_code: str | None


@dataclass(frozen=True)
class CategoryRow:
    code: str
    name: str
    parent_code: str | None


@dataclass(frozen=True)
class MeasureRow:
    code: str
    name: str
    description: str
    legal_basis: str
    department_kinds: tuple[str, ...]


@dataclass(frozen=True)
class DepartmentRow:
    code: str
    name: str
    kind: str
    level: str
    region_code: str
    is_market_regulator: bool


class ReferenceDataError(ValueError):
    """A reference CSV is malformed; the message names the file and line."""


def load_regions() -> list[RegionRow]:
    """Regions ordered by level (national first), then by code."""
    return list(_regions())


def load_categories() -> list[CategoryRow]:
    """Product categories ordered by code, which puts every parent before its children."""
    return list(_categories())


def load_departments() -> list[DepartmentRow]:
    """Departments ordered by level (national first), then by region and code."""
    return list(_departments())


def load_measures() -> list[MeasureRow]:
    """The joint-punishment measures catalogue (rules §10), in file order."""
    return list(_measures())


# The public loaders hand out fresh lists so a caller sorting or filtering its copy cannot corrupt
# the cached, shared rows.


@cache
def _regions() -> tuple[RegionRow, ...]:
    file = "regions.csv"
    rows: dict[str, tuple[int, RegionRow]] = {}
    for line, record in _read(file, ("code", "name", "level", "parent_code")):
        row = RegionRow(
            code=record["code"],
            name=_required(file, line, record, "name"),
            level=record["level"],
            parent_code=record["parent_code"] or None,
        )
        if not _REGION_CODE.fullmatch(row.code):
            raise _error(file, line, f"region code {row.code!r} is not 6 digits")
        if row.level not in REGION_LEVELS:
            raise _error(file, line, f"unknown region level {row.level!r}")
        if (row.parent_code is None) != (row.level == "national"):
            raise _error(file, line, "only the national row may (and must) lack a parent")
        if row.code in rows:
            raise _error(file, line, f"duplicate region code {row.code}")
        rows[row.code] = (line, row)

    for line, row in rows.values():
        if row.parent_code is None:
            continue
        if row.parent_code not in rows:
            raise _error(file, line, f"parent {row.parent_code} of {row.code} does not exist")
        parent = rows[row.parent_code][1]
        if REGION_LEVELS.index(parent.level) >= REGION_LEVELS.index(row.level):
            raise _error(file, line, f"parent {parent.code} is not above {row.code} in level")

    # Every parent is strictly higher in level, so level order alone is parent-first.
    return tuple(
        sorted(
            (row for _, row in rows.values()),
            key=lambda r: (REGION_LEVELS.index(r.level), r.code),
        )
    )


@cache
def _categories() -> tuple[CategoryRow, ...]:
    file = "product_categories.csv"
    rows: dict[str, tuple[int, CategoryRow]] = {}
    for line, record in _read(file, ("code", "name", "parent_code")):
        row = CategoryRow(
            code=record["code"],
            name=_required(file, line, record, "name"),
            parent_code=record["parent_code"] or None,
        )
        if not _CATEGORY_CODE.fullmatch(row.code):
            raise _error(file, line, f"category code {row.code!r} is not 2, 4 or 6 digits")
        # The hierarchy lives in the code itself, so reports can roll up by prefix without a join;
        # the parent column must agree with it.
        expected_parent = row.code[:-2] or None
        if row.parent_code != expected_parent:
            raise _error(file, line, f"parent of {row.code} must be {expected_parent or 'empty'}")
        if row.code in rows:
            raise _error(file, line, f"duplicate category code {row.code}")
        rows[row.code] = (line, row)

    for line, row in rows.values():
        if row.parent_code is not None and row.parent_code not in rows:
            raise _error(file, line, f"parent {row.parent_code} of {row.code} does not exist")

    # A parent's code is a proper prefix of its child's, so plain code order is parent-first.
    return tuple(sorted((row for _, row in rows.values()), key=lambda r: r.code))


@cache
def _departments() -> tuple[DepartmentRow, ...]:
    file = "departments.csv"
    regions = {row.code for row in _regions()}
    rows: dict[str, DepartmentRow] = {}
    header = ("code", "name", "kind", "level", "region_code", "is_market_regulator")
    for line, record in _read(file, header):
        flag = record["is_market_regulator"]
        if flag not in _BOOLEANS:
            raise _error(file, line, f"is_market_regulator must be true or false, not {flag!r}")
        row = DepartmentRow(
            code=record["code"],
            name=_required(file, line, record, "name"),
            kind=record["kind"],
            level=record["level"],
            region_code=record["region_code"],
            is_market_regulator=_BOOLEANS[flag],
        )
        if row.kind not in DEPARTMENT_KINDS:
            raise _error(file, line, f"unknown department kind {row.kind!r}")
        if row.level not in DEPARTMENT_LEVELS:
            raise _error(file, line, f"unknown department level {row.level!r}")
        if row.code != f"{row.kind}-{row.region_code}":
            raise _error(file, line, f"code {row.code} is not <kind>-<region_code>")
        if row.region_code not in regions:
            raise _error(file, line, f"region {row.region_code} does not exist")
        if row.code in rows:
            raise _error(file, line, f"duplicate department code {row.code}")
        rows[row.code] = row

    return tuple(
        sorted(
            rows.values(),
            key=lambda r: (DEPARTMENT_LEVELS.index(r.level), r.region_code, r.code),
        )
    )


@cache
def _measures() -> tuple[MeasureRow, ...]:
    file = "measures.csv"
    rows: dict[str, MeasureRow] = {}
    header = ("code", "name", "description", "legal_basis", "department_kinds")
    for line, record in _read(file, header):
        kinds = tuple(k for k in record["department_kinds"].split(";") if k)
        row = MeasureRow(
            code=record["code"],
            name=_required(file, line, record, "name"),
            description=_required(file, line, record, "description"),
            legal_basis=_required(file, line, record, "legal_basis"),
            department_kinds=kinds,
        )
        if not re.fullmatch(r"[a-z_]{3,60}", row.code):
            raise _error(file, line, f"measure code {row.code!r} is not snake_case")
        if not kinds or not set(kinds) <= DEPARTMENT_KINDS:
            raise _error(file, line, f"department kinds {kinds} are empty or unknown")
        if row.code in rows:
            raise _error(file, line, f"duplicate measure code {row.code}")
        rows[row.code] = row
    return tuple(rows.values())


def _read(file: str, header: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a packaged CSV with their 1-based line numbers, after checking the header."""
    text = resources.files(DATA_PACKAGE).joinpath(file).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if tuple(reader.fieldnames or ()) != header:
        raise _error(file, 1, f"header must be {','.join(header)}")
    result: list[tuple[int, dict[str, str]]] = []
    for record in reader:
        # DictReader files surplus cells under None and fills missing ones with None.
        if None in record or None in record.values():
            raise _error(file, reader.line_num, f"expected {len(header)} fields")
        result.append((reader.line_num, {key: value.strip() for key, value in record.items()}))
    return result


def _required(file: str, line: int, record: dict[str, str], field: str) -> str:
    value = record[field]
    if not value:
        raise _error(file, line, f"{field} is empty")
    return value


def _error(file: str, line: int, message: str) -> ReferenceDataError:
    return ReferenceDataError(f"{file}:{line}: {message}")
