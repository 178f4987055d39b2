"""Pass rates as bytes: the JSON page, built with orjson from plain rows rather than through the
response models (a page has thousands of rows; the documented shape is `PassRateReport`), and
the CSV for spreadsheets, produced in chunks. The CSV is UTF-8 with a byte-order mark (Excel
otherwise reads Chinese as mojibake), a header row, the group keys followed by the Chinese
names of regions, categories and agencies, then the counts, rates and interval bounds. A name
that a spreadsheet would run as a formula (=, +, -, @ first) is written with a leading
apostrophe."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, Final

import orjson

from service.stats.query import RATE_FIELDS, PassRates

BOM: Final = "\ufeff"
_FORMULA: Final = frozenset("=+-@\t\r")
_NAMED: Final = {"region": "region_name", "category": "category_name", "agency": "agency_name"}
FIGURES: Final = ("sampled", "tested", "nonconforming", *RATE_FIELDS)
_CHUNK_ROWS: Final = 2_000


def to_json(answer: PassRates) -> bytes:
    document: dict[str, Any] = answer.header().model_dump(mode="json")
    document["rows"] = list(answer.texts())
    return orjson.dumps(document)


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    # Names come from the directories, which regulators edit: never let one be a formula.
    return "'" + text if isinstance(value, str) and text[:1] in _FORMULA else text


def header(group_by: tuple[str, ...] | list[str]) -> list[str]:
    keys: list[str] = []
    for name in group_by:
        keys.append(name)
        if name in _NAMED:
            keys.append(_NAMED[name])
    return [*keys, *FIGURES]


def csv_chunks(answer: PassRates) -> Iterator[bytes]:
    """The whole answer as CSV, a few thousand rows per chunk."""
    columns = header(answer.group_by)
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for number, row in enumerate(answer.texts(), 1):
        writer.writerow([_cell(row.get(c)) for c in columns])
        if number % _CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def to_csv(answer: PassRates) -> bytes:
    return b"".join(csv_chunks(answer))
