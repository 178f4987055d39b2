"""Bulk directory imports: POST /enterprises:import and /products:import, a CSV or NDJSON body
streamed into the directory, answered with a report on every row."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from service.auth import RegulatorPrincipal
from service.config import get_settings
from service.db import SessionDep, UnitOfWorkRoute
from service.directory import imports
from service.directory.imports import ImportFormat, ImportReport
from service.errors import UnsupportedMediaType

router = APIRouter(tags=["enterprises"], route_class=UnitOfWorkRoute)

# Route options are fixed when the module is imported, like the page limits in routers.deps.
_MAX_IMPORT_BYTES = get_settings().max_import_bytes

_CHARSET = re.compile(r'charset\s*=\s*"?([^";\s]+)', re.IGNORECASE)
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {fmt.value: {"schema": {"type": "string"}} for fmt in ImportFormat},
    }
}
_PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"description": description, "content": {"application/problem+json": {}}}
    for status, description in (
        (413, "The body is larger than the import limit"),
        (415, "Not text/csv or application/x-ndjson (UTF-8)"),
        (422, "The body as a whole is unusable: not UTF-8, a bad CSV header, an unclosed quote"),
    )
}


def import_format(request: Request) -> ImportFormat:
    # Read from the request, not declared as a header parameter: OpenAPI describes the body's
    # media types under requestBody instead.
    media_type, _, parameters = request.headers.get("content-type", "").partition(";")
    charset = _CHARSET.search(parameters)
    try:
        fmt = ImportFormat(media_type.strip().lower())
    except ValueError:
        fmt = None
    if fmt is None or (charset is not None and charset[1].lower() not in ("utf-8", "utf8")):
        raise UnsupportedMediaType(
            "import.unsupported_media_type",
            "send text/csv or application/x-ndjson, encoded as UTF-8",
        )
    return fmt


ImportFormatDep = Annotated[ImportFormat, Depends(import_format)]


def _batch_rows(request: Request) -> int:
    return int(request.app.state.settings.import_batch_rows)


@router.post(
    "/enterprises:import",
    max_body_size=_MAX_IMPORT_BYTES,
    openapi_extra=_BODY,
    responses=_PROBLEMS,
)
async def import_enterprises(
    request: Request, session: SessionDep, principal: RegulatorPrincipal, fmt: ImportFormatDep
) -> ImportReport:
    """Create or update enterprises by USCC; columns `uscc,name,region_code` and optionally
    `size,address,checksum_override_reason`."""
    return await imports.import_enterprises(
        session, principal, fmt, request.stream(), batch_rows=_batch_rows(request)
    )


@router.post(
    "/products:import",
    max_body_size=_MAX_IMPORT_BYTES,
    openapi_extra=_BODY,
    responses=_PROBLEMS,
)
async def import_products(
    request: Request, session: SessionDep, principal: RegulatorPrincipal, fmt: ImportFormatDep
) -> ImportReport:
    """Create or update products by producer and normalised identity; columns
    `enterprise_uscc,category_code,name,model` and optionally `brand,standard`."""
    return await imports.import_products(
        session, principal, fmt, request.stream(), batch_rows=_batch_rows(request)
    )
