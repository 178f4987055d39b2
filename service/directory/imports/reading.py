"""From a streamed request body to records: incremental UTF-8 decoding, CSV records that may span
lines, NDJSON lines. No database here; a problem with one record becomes that record's error, a
problem with the body as a whole (not UTF-8, no usable header, a quote that never closes) raises
`InvalidInput`."""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from service.errors import InvalidInput

# Far beyond any legitimate row (all fields together allow ~1,200 characters); reached only by a
# runaway quote or a body without line breaks, which must not be buffered whole.
MAX_RECORD_CHARS = 64 * 1024


class ImportFormat(StrEnum):
    CSV = "text/csv"
    NDJSON = "application/x-ndjson"


@dataclass(slots=True)
class Record:
    """One data record: `row` counts data records from 1 (blank ones included, so numbers match
    the file), `line` is the line it starts on. Cells are trimmed, empty ones are None."""

    row: int
    line: int
    fields: dict[str, str | None]
    error: tuple[str, str] | None = None  # (code, message)


def records(
    fmt: ImportFormat,
    body: AsyncIterator[bytes],
    columns: Sequence[str],
    required: Sequence[str],
) -> AsyncIterator[list[Record]]:
    """The non-blank records of the body, a list per chunk received."""
    if fmt is ImportFormat.CSV:
        return _csv_records(body, columns, required)
    return _ndjson_records(body, columns)


async def lines(body: AsyncIterator[bytes]) -> AsyncIterator[list[str]]:
    """The body's lines without their "\\n", a list per chunk received."""
    # A character split across two chunks is completed by the next one; the BOM is dropped.
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    tail, count = "", 0
    async for chunk in body:
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            line = count + 1 + exc.object[: exc.start].count(b"\n")
            message = f"the body is not UTF-8 (line {line}); save the file as UTF-8"
            raise InvalidInput("import.encoding", message) from None
        if "\n" in text:
            complete = (tail + text).split("\n")
            tail = complete.pop()
            count += len(complete)
            yield complete
        else:
            tail += text
        if len(tail) > MAX_RECORD_CHARS:
            message = f"line {count + 1} is longer than {MAX_RECORD_CHARS} characters"
            raise InvalidInput("import.line_too_long", message)
    try:
        tail += decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise InvalidInput("import.encoding", "the body ends inside a UTF-8 character") from None
    if tail:
        yield [tail]


_START, _FIELD, _QUOTED, _QUOTE = range(4)


def quote_open(line: str, quoted: bool) -> bool:
    """Whether a quoted field is still open at the end of `line` (given whether one was open at
    its start). Mirrors the csv module's reader — a quote opens a field only at the field's start,
    a doubled quote inside is a literal one — so records are cut where `csv.reader` cuts them."""
    state = _QUOTED if quoted else _START
    for char in line:
        if state == _QUOTED:
            if char == '"':
                state = _QUOTE
        elif state == _QUOTE:
            state = _QUOTED if char == '"' else _START if char == "," else _FIELD
        elif char == ",":
            state = _START
        elif state == _START and char == '"':
            state = _QUOTED
        else:
            state = _FIELD
    return state == _QUOTED


def _header(cells: list[str], columns: Sequence[str], required: Sequence[str]) -> list[str]:
    names = [name.strip().lower() for name in cells]
    unknown = [name for name in names if name not in columns]
    missing = [name for name in required if name not in names]
    if unknown or missing or len(set(names)) != len(names):
        raise InvalidInput(
            "import.header_invalid",
            f"the header names distinct columns among {', '.join(columns)}, at least "
            f"{', '.join(required)}; unknown: {unknown}, missing: {missing}",
        )
    return names


async def _csv_texts(body: AsyncIterator[bytes]) -> AsyncIterator[list[tuple[int, str, bool]]]:
    """Each CSV record's text, the line it starts on, and whether its quote is still open at the
    end of the body: physical lines are joined while a quoted field runs across them."""
    open_lines: list[str] = []
    open_size = line_no = start = 0
    async for chunk in lines(body):
        texts: list[tuple[int, str, bool]] = []
        for line in chunk:
            line_no += 1
            if open_lines:
                open_lines.append(line)
                open_size += len(line)
                if not quote_open(line, True):
                    texts.append((start, "\n".join(open_lines), False))
                    open_lines = []
                elif open_size > MAX_RECORD_CHARS:
                    message = f"the quote opened on line {start} is not closed; check the quoting"
                    raise InvalidInput("import.unclosed_quote", message)
            elif '"' in line and quote_open(line, False):
                open_lines, open_size, start = [line], len(line), line_no
            else:
                texts.append((line_no, line, False))
        yield texts
    if open_lines:
        yield [(start, "\n".join(open_lines), True)]


async def _csv_records(
    body: AsyncIterator[bytes], columns: Sequence[str], required: Sequence[str]
) -> AsyncIterator[list[Record]]:
    header: list[str] | None = None
    row = 0
    async for texts in _csv_texts(body):
        out: list[Record] = []
        # Each text is one record, so the reader yields one row per text — except for an
        # unclosed one, which would pull the next text in: that one is never handed to it.
        reader = csv.reader([text for _, text, unclosed in texts if not unclosed], strict=True)
        for line, _, unclosed in texts:
            try:
                if unclosed:
                    raise csv.Error(f"the quote opened on line {line} is never closed")
                cells = next(reader)
            except csv.Error as exc:
                if header is None:
                    raise InvalidInput("import.header_invalid", f"header: {exc}") from None
                row += 1
                out.append(Record(row, line, {}, ("import.malformed_row", str(exc))))
                continue
            if header is None:
                header = _header(cells, columns, required)
                continue
            row += 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                message = f"{len(cells)} fields where the header has {len(header)}"
                out.append(Record(row, line, {}, ("import.column_count", message)))
                continue
            fields = {name: cell.strip() or None for name, cell in zip(header, cells, strict=True)}
            out.append(Record(row, line, fields))
        yield out
    if header is None:
        raise InvalidInput("import.header_invalid", "the CSV body has no header row")


def _json_record(line: int, text: str, columns: Sequence[str]) -> Record:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return Record(line, line, {}, ("import.invalid_json", f"not JSON: {exc}"))
    if not isinstance(value, dict):
        return Record(line, line, {}, ("import.invalid_json", "not a JSON object"))
    fields: dict[str, str | None] = {}
    for name, item in value.items():
        if name not in columns:
            message = f"unknown field {name!r}; the fields are {', '.join(columns)}"
            return Record(line, line, {}, ("import.unknown_field", message))
        if item is not None and not isinstance(item, str):
            message = f"{name} must be a string or null"
            return Record(line, line, {}, ("import.field_type", message))
        fields[name] = None if item is None else item.strip() or None
    return Record(line, line, fields)


async def _ndjson_records(
    body: AsyncIterator[bytes], columns: Sequence[str]
) -> AsyncIterator[list[Record]]:
    line = 0
    async for chunk in lines(body):
        out = []
        for text in chunk:
            line += 1
            if text.strip():
                out.append(_json_record(line, text, columns))
        yield out
