"""Bulk directory imports (`POST /enterprises:import`, `POST /products:import`).

The body is CSV (UTF-8, optional BOM, a header row, RFC 4180 quoting: a quoted field may hold
commas and line breaks) or NDJSON (one JSON object per line). It is streamed: bytes are decoded
incrementally, cut into records, validated row by row and upserted in batches of
`Settings.import_batch_rows`, so memory grows with the number of rows only by the per-row
bookkeeping (the keys seen and the pending audit records), never by the body. `reading` turns bytes
into records, `base` validates, batches and writes, `importers` knows enterprises and products.

Rows. `row` in the report is the 1-based number of a data record: for CSV the records after the
header (a record may span lines; `line` says where it starts), for NDJSON the line. Blank records
are skipped and not counted in `received`, but keep their number so that numbers match the file.
Each row is checked for everything a database constraint could reject before anything is
written, so a bad row is listed in the report and never aborts the others, and a good row lands
completely. `received = created + updated + unchanged + rejected`; `errors` lists the first
`MAX_ERRORS` rejections and `errors_truncated` says when there were more.

Values. Cells are trimmed; an empty optional cell (or a missing column, an absent key, a JSON
null) leaves the stored value as it is — an import fills and overwrites, it never clears. A row
equal to what is stored is not written and is counted as `unchanged` (no audit record, no new
`updated_at`). A product's brand, model and standard are its identity: an existing product keeps
its first spelling of them, and an import only updates its category and name.

Duplicates. The first row with a key (an enterprise's USCC; a product's enterprise and normalised
identity) wins; every later one is rejected with `import.duplicate_row` naming the first. Two rows
for one entity in one file contradict each other, and the sender, not the order of the lines,
should decide which is right.

Transaction. One per request, committed by the route's unit of work. The report is then true as
a whole: either every good row is committed, or — the database fails, the body turns out not to
be UTF-8 or too large — none is and the client gets a problem+json instead of a report, and can
simply send the file again. The costs: the rows written stay locked until the commit (well under
a minute for 100,000 rows, see bench/), and the pending audit records (~300 bytes a row) wait in
memory until then. Committing per batch would leave half a file behind on a failure, and would
take the audit chain's head lock, which serialises every writer of the service, once per batch
instead of once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.reference import ProductCategory, Region
from service.auth import Principal
from service.directory.imports.base import MAX_ERRORS, Importer, ImportReport, RowError
from service.directory.imports.importers import EnterpriseImporter, ProductImporter
from service.directory.imports.reading import ImportFormat, records

__all__ = [
    "MAX_ERRORS",
    "ImportFormat",
    "ImportReport",
    "RowError",
    "import_enterprises",
    "import_products",
]


async def _region_paths(session: AsyncSession) -> dict[str, str]:
    return dict((await session.exec(select(Region.code, Region.path))).all())


async def _run(
    importer: Importer, fmt: ImportFormat, body: AsyncIterator[bytes], batch_rows: int
) -> ImportReport:
    return await importer.run(records(fmt, body, importer.columns, importer.required), batch_rows)


async def import_enterprises(
    session: AsyncSession,
    principal: Principal,
    fmt: ImportFormat,
    body: AsyncIterator[bytes],
    *,
    batch_rows: int,
) -> ImportReport:
    """Upsert enterprises by USCC from a CSV or NDJSON body and report on every row."""
    importer = EnterpriseImporter(session, principal, await _region_paths(session))
    return await _run(importer, fmt, body, batch_rows)


async def import_products(
    session: AsyncSession,
    principal: Principal,
    fmt: ImportFormat,
    body: AsyncIterator[bytes],
    *,
    batch_rows: int,
) -> ImportReport:
    """Upsert products by (enterprise, normalised identity) from a CSV or NDJSON body and report
    on every row."""
    categories = frozenset((await session.exec(select(col(ProductCategory.code)))).all())
    importer = ProductImporter(session, principal, await _region_paths(session), categories)
    return await _run(importer, fmt, body, batch_rows)
