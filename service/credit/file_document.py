"""The full credit file (`GET /enterprises/{uscc}/credit`) as one JSON document, read in one
statement.

This is the file departments read before every decision, so it is the hottest read of the
service. :func:`service.credit.file.credit_file` builds the same answer from ORM rows and response
models; here PostgreSQL assembles the events array itself and the enterprise and the recorded score
come back in the same row, so a read costs one round trip and no per-event Python objects. The two
must agree field for field: a test holds them equal over a file with every event type, a corrected
event and an as-of day. Before an enterprise's first snapshot there is no recorded score to read,
and the answer is the model's (the rare path, delegated to ``credit_file``)."""

from __future__ import annotations

from datetime import date
from typing import Any, Final

import orjson
from sqlmodel.ext.asyncio.session import AsyncSession

from models.credit import LABELS
from models.system import Role
from service.auth import Principal
from service.credit.file import check_as_of, credit_file
from service.db import driver_connection
from service.errors import Forbidden, NotFound
from service.uscc import normalise_uscc

_LABELS: Final = {kind.value: label for kind, label in LABELS.items()}
LABELS_JSON: Final = orjson.dumps(_LABELS).decode()

# The events as CreditEventRead spells them, on the as-of day $2. `status` and `published` are
# the day's, as in `file.event_read`.
FILE_STATEMENT: Final = """
    SELECT e.uscc, e.name, e.region_code, e.active,
           s.valid_from, s.computed_at, s.score, s.base, s.grade, s.grade_reason, s.listed,
           s.explanation::text AS explanation, s.model_version,
           s.risk_class, s.risk_reasons::text AS risk_reasons, s.risk_version,
           (SELECT coalesce(json_agg(json_build_object(
                       'id', ce.id,
                       'enterprise_uscc', ce.enterprise_uscc,
                       'type', ce.type,
                       'label', CAST($3 AS jsonb) ->> ce.type,
                       'origin', ce.origin,
                       'department_code', ce.department_code,
                       'reference', ce.reference,
                       'occurred_on', ce.occurred_on,
                       'recorded_on', ce.recorded_on,
                       'public', ce.public,
                       'publish_until', ce.publish_until,
                       'published', ce.occurred_on <= $2 AND $2 <= ce.publish_until,
                       'severity', ce.severity,
                       'summary', ce.summary,
                       'details', ce.details,
                       'status', CASE WHEN ce.corrected_on <= $2
                                      THEN 'corrected' ELSE 'counting' END,
                       'corrected_on', CASE WHEN ce.corrected_on <= $2
                                            THEN ce.corrected_on END)
                   ORDER BY ce.occurred_on DESC, ce.id), '[]')::text
              FROM credit_events ce
             WHERE ce.enterprise_uscc = e.uscc AND ce.recorded_on <= $2) AS events
      FROM enterprises e
      LEFT JOIN LATERAL (
            SELECT * FROM credit_scores cs
             WHERE cs.enterprise_uscc = e.uscc AND cs.valid_from <= $2
             ORDER BY cs.valid_from DESC, cs.id DESC
             LIMIT 1) s ON true
     WHERE e.uscc = $1
"""


def _contributions(explanation: str) -> list[dict[str, Any]]:
    return [
        {**item, "label": _LABELS[item["type"]], "note": item.get("note")}
        for item in orjson.loads(explanation)
    ]


async def credit_file_json(
    session: AsyncSession, principal: Principal, uscc: str, *, as_of: date | None, today: date
) -> bytes:
    """The full file with the internal risk class, as `CreditFileRead` JSON. Same access rules as
    ``credit_file``: an enterprise key gets 404 for another enterprise and 403 for its own."""
    day = check_as_of(as_of, today)
    code = normalise_uscc(uscc)
    if principal.role is Role.ENTERPRISE:
        if code != principal.enterprise_uscc:
            raise NotFound("enterprise.not_found", f"no enterprise {uscc}")
        raise Forbidden(
            "credit.internal_view",
            "this view holds the internal risk class; read your own file at /me/credit",
        )
    connection = await driver_connection(session)
    row = await connection.fetchrow(FILE_STATEMENT, code, day, LABELS_JSON)
    if row is None:
        raise NotFound("enterprise.not_found", f"no enterprise {uscc}")
    if row["valid_from"] is None:
        model = await credit_file(session, principal, uscc, as_of=as_of, today=today)
        return model.__pydantic_serializer__.to_json(model)
    return orjson.dumps(
        {
            "score": row["score"],
            "grade": row["grade"],
            "base": row["base"],
            "explanation": _contributions(row["explanation"]),
            "model_version": row["model_version"],
            "listed": row["listed"],
            "grade_reason": row["grade_reason"],
            "valid_from": row["valid_from"],
            "computed_at": row["computed_at"],
            "as_of": day,
            "enterprise": {
                "uscc": row["uscc"],
                "name": row["name"],
                "region_code": row["region_code"],
                "active": row["active"],
            },
            "risk_class": row["risk_class"],
            "risk_reasons": orjson.Fragment(row["risk_reasons"]),
            "risk_version": row["risk_version"],
            "events": orjson.Fragment(row["events"]),
        },
        option=orjson.OPT_UTC_Z,
    )
