"""Pass rates as CSV for spreadsheets: UTF-8 with a byte-order mark (Excel otherwise reads
Chinese as mojibake), a header row, the group keys followed by the Chinese names of regions,
categories and agencies, then the counts, rates and interval bounds. A name that a spreadsheet
would run as a formula (=, +, -, @ first) is written with a leading apostrophe."""

from __future__ import annotations

import csv
import io
from typing import Final

from models.stats import PassRateReport

BOM: Final = "\ufeff"
_FORMULA: Final = frozenset("=+-@\t\r")
_NAMED: Final = {"region": "region_name", "category": "category_name", "agency": "agency_name"}
FIGURES: Final = (
    "sampled",
    "tested",
    "nonconforming",
    "nonconformity_rate",
    "pass_rate",
    "ci_low",
    "ci_high",
    "nonconformity_ci_low",
    "nonconformity_ci_high",
)


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    # Names come from the directories, which regulators edit: never let one be a formula.
    return "'" + text if isinstance(value, str) and text[:1] in _FORMULA else text


def header(report: PassRateReport) -> list[str]:
    keys: list[str] = []
    for name in report.group_by:
        keys.append(name)
        if name in _NAMED:
            keys.append(_NAMED[name])
    return [*keys, *FIGURES]


def to_csv(report: PassRateReport) -> bytes:
    columns = header(report)
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in report.rows:
        values = row.model_dump(include=set(columns))
        writer.writerow([_cell(values[c]) for c in columns])
    return buffer.getvalue().encode("utf-8")
