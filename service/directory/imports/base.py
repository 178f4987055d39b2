"""The part every import shares: the report, per-row checks of text, the duplicate rule, batching,
and writing a batch with one upsert whose RETURNING feeds the audit log and the counts."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from pydantic import TypeAdapter
from sqlalchemy import Boolean, ColumnElement, Table, UpdateBase, literal_column
from sqlmodel.ext.asyncio.session import AsyncSession

from models.common import Schema
from models.system import Role
from service import audit
from service.auth import Principal
from service.directory.imports.reading import Record
from service.errors import DomainError, Forbidden, InvalidInput

MAX_ERRORS = 1_000

# PostgreSQL text cannot hold NUL, and lone surrogates (from NDJSON "\ud800" escapes) cannot be
# encoded: either would fail the whole batch's statement instead of one row.
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_INSTANT = TypeAdapter(datetime)


class RowError(Schema):
    row: int
    line: int
    code: str
    message: str
    field: str | None = None


class ImportReport(Schema):
    received: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    errors: list[RowError]
    errors_truncated: bool


@dataclass(slots=True)
class Row:
    """A valid row waiting in the batch."""

    row: int
    line: int
    key: Hashable
    values: dict[str, Any]


@dataclass
class _Tally:
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)

    def reject(self, row: int, line: int, code: str, message: str, name: str | None) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row=row, line=line, code=code, message=message, field=name))

    def report(self) -> ImportReport:
        return ImportReport(
            received=self.received,
            created=self.created,
            updated=self.updated,
            unchanged=self.unchanged,
            rejected=self.rejected,
            # Rows rejected by a batch's database checks were found after later rows.
            errors=sorted(self.errors, key=lambda error: error.row),
            errors_truncated=self.rejected > len(self.errors),
        )


def text(fields: Mapping[str, str | None], name: str, limit: int, *, required: bool) -> str | None:
    value = fields.get(name)
    if value is None:
        if required:
            raise InvalidInput("import.field_required", f"{name} is required", field=name)
        return None
    if len(value) > limit:
        message = f"{name} has {len(value)} characters, at most {limit} are allowed"
        raise InvalidInput("import.field_too_long", message, field=name)
    return value


def _json_value(value: Any) -> Any:
    # The state digested for the audit log must equal what the single-row services digest
    # (`enterprise_state`, `product_state`: the read schema in pydantic's JSON mode).
    if isinstance(value, datetime):
        return _INSTANT.dump_python(value, mode="json")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def state_fields(read_schema: type[Schema]) -> tuple[str, ...]:
    return tuple(
        name for name in read_schema.model_fields if name not in ("created_at", "updated_at")
    )


def returning(table: Table, read_schema: type[Schema]) -> list[ColumnElement[Any]]:
    # xmax is 0 exactly for a row version this statement inserted rather than updated.
    inserted = literal_column("xmax = 0", Boolean).label("inserted")
    return [*(table.c[name] for name in state_fields(read_schema)), inserted]


class Importer:
    """Validates records, rejects later duplicates, and upserts the valid rows in batches."""

    columns: ClassVar[tuple[str, ...]]
    required: ClassVar[tuple[str, ...]]
    entity_type: ClassVar[str]
    id_field: ClassVar[str]
    read_schema: ClassVar[type[Schema]]

    def __init__(self, session: AsyncSession, principal: Principal, regions: dict[str, str]):
        if principal.role not in (Role.ADMIN, Role.REGULATOR):
            raise Forbidden("auth.role_forbidden", "only regulators import into the directory")
        self.session = session
        self.principal = principal
        self.regions = regions
        self.writable = frozenset(c for c, path in regions.items() if principal.covers_region(path))
        self.state_fields = state_fields(self.read_schema)
        self.tally = _Tally()
        self.seen: dict[Hashable, int] = {}

    def validate(self, fields: Mapping[str, str | None]) -> tuple[Hashable, dict[str, Any]]:
        """The row's key and the values to write; raises `DomainError` for a bad row."""
        raise NotImplementedError

    async def admit(self, batch: list[Row]) -> list[Row]:
        """The rows of a batch that pass the checks needing the database."""
        return batch

    def upsert(self) -> UpdateBase:
        """INSERT … ON CONFLICT DO UPDATE … WHERE changed RETURNING state + `inserted`."""
        raise NotImplementedError

    def reject_late(self, item: Row, code: str, message: str) -> None:
        # A later row with the same key must meet the same check, not be called a duplicate.
        del self.seen[item.key]
        self.tally.reject(item.row, item.line, code, message, None)

    async def run(self, records: AsyncIterator[list[Record]], batch_rows: int) -> ImportReport:
        statement, batch = self.upsert(), []
        async for chunk in records:
            for record in chunk:
                self.tally.received += 1
                if record.error is not None:
                    self.tally.reject(record.row, record.line, *record.error, None)
                    continue
                try:
                    for name, value in record.fields.items():
                        if value is not None and _BAD_TEXT.search(value):
                            message = f"{name} contains a NUL or an unpaired surrogate"
                            raise InvalidInput("import.invalid_text", message, field=name)
                    key, values = self.validate(record.fields)
                except DomainError as exc:
                    where = exc.extra.get("field")
                    self.tally.reject(record.row, record.line, exc.code, exc.detail, where)
                    continue
                first = self.seen.setdefault(key, record.row)
                if first != record.row:
                    message = f"row {first} has the same key; the first row with a key wins"
                    code = "import.duplicate_row"
                    self.tally.reject(record.row, record.line, code, message, None)
                    continue
                batch.append(Row(record.row, record.line, key, values))
                if len(batch) >= batch_rows:
                    await self._write(statement, batch)
                    batch = []
        await self._write(statement, batch)
        return self.tally.report()

    async def _write(self, statement: UpdateBase, batch: list[Row]) -> None:
        landing = await self.admit(batch) if batch else []
        if not landing:
            return
        result = await self.session.exec(statement, params=[item.values for item in landing])
        rows = result.mappings().all()
        for row in rows:
            audit.record(
                self.session,
                actor=self.principal.actor,
                action=f"{self.entity_type}.import",
                entity_type=self.entity_type,
                entity_id=str(row[self.id_field]),
                state={name: _json_value(row[name]) for name in self.state_fields},
            )
            if row["inserted"]:
                self.tally.created += 1
            else:
                self.tally.updated += 1
        # Rows equal to the stored ones are filtered by the upsert's WHERE and return nothing.
        self.tally.unchanged += len(landing) - len(rows)
