"""The import reader without a database: records cut where `csv.reader` cuts them, whatever the
chunking of the body."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import AsyncIterator

import pytest

from service.directory.imports.reading import (
    MAX_RECORD_CHARS,
    ImportFormat,
    Record,
    quote_open,
    records,
)
from service.errors import InvalidInput

COLUMNS = ("a", "b", "c")


async def pieces(data: bytes, sizes: list[int]) -> AsyncIterator[bytes]:
    start = 0
    for size in sizes:
        yield data[start : start + size]
        start += size
    yield data[start:]


async def read(data: bytes, sizes: list[int], fmt: ImportFormat = ImportFormat.CSV) -> list[Record]:
    out: list[Record] = []
    async for chunk in records(fmt, pieces(data, sizes), COLUMNS, ("a",)):
        out.extend(chunk)
    return out


@pytest.mark.parametrize(
    "line",
    ['a,"b', 'a,"b""', 'a,"b"""', '"a"",b', 'a,b"c,"d', '"a",b', '"a""b",c', 'x"y', '"', '""'],
)
def test_quote_state_matches_the_csv_module(line: str) -> None:
    # csv.reader over the line alone either finishes the record or runs out inside a quote.
    try:
        list(csv.reader([line], strict=True))
        csv_open = False
    except csv.Error:
        csv_open = True
    assert quote_open(line, False) is csv_open


async def test_records_do_not_depend_on_how_the_body_is_cut() -> None:
    rng = random.Random(7)
    rows = [
        ["郑州", 'say "hi", twice', "line\nbreak"],
        ["", "", ""],
        ["𠀀𠀁", "a,b", '""'],
        ["plain", "text", "row"],
        ["\r", "cr", "inside"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([list(COLUMNS), *rows * 20])
    data = buffer.getvalue().encode()
    expected = [
        {name: (cell.strip() or None) for name, cell in zip(COLUMNS, row, strict=True)}
        for row in rows * 20
        if any(cell.strip() for cell in row)
    ]
    for _ in range(20):
        sizes = [rng.randint(1, 40) for _ in range(len(data) // 10)]
        got = await read(data, sizes)
        assert [record.error for record in got if record.error] == []
        assert [record.fields for record in got] == expected
    # Blank rows keep their number: the fourth record of each group of five is row 4.
    assert [(r.row, r.line) for r in got][:4] == [(1, 2), (3, 5), (4, 6), (5, 7)]


async def test_json_lines_are_numbered_by_line() -> None:
    data = b'{"a": "1"}\n\n{"a": 2}\r\n{"d": "x"}\n[1]\n{"a": " \\u0000 "}'
    got = await read(data, [3, 5, 7], ImportFormat.NDJSON)
    assert [(r.row, r.error[0] if r.error else None) for r in got] == [
        (1, None),
        (3, "import.field_type"),
        (4, "import.unknown_field"),
        (5, "import.invalid_json"),
        (6, None),
    ]
    assert got[-1].fields == {"a": "\x00"}


async def test_a_runaway_quote_rejects_the_body() -> None:
    data = b'a,b,c\n1,"2,3\n' + b"x,y,z\n" * (MAX_RECORD_CHARS // 5 + 1)
    with pytest.raises(InvalidInput) as raised:
        await read(data, [4096] * (len(data) // 4096))
    assert raised.value.code == "import.unclosed_quote"


async def test_a_line_without_end_rejects_the_body() -> None:
    with pytest.raises(InvalidInput) as raised:
        await read(b"a,b,c\n" + b"x" * (MAX_RECORD_CHARS + 1), [4096] * 20)
    assert raised.value.code == "import.line_too_long"
