"""Loads reference data (regions, categories, departments, the measures catalogue) into the
database. Idempotent: rows are upserted by code, so running it again after a data update brings
the tables up to date."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import Measure
from models.reference import Department, ProductCategory, Region
from seed.reference import load_categories, load_departments, load_measures, load_regions
from service import audit
from service.auth import Principal


def _region_rows() -> list[dict[str, Any]]:
    paths: dict[str, str] = {}
    rows = []
    for region in load_regions():  # parents come first
        path = f"{paths[region.parent_code]}/{region.code}" if region.parent_code else region.code
        paths[region.code] = path
        rows.append(
            {
                "code": region.code,
                "name": region.name,
                "level": region.level,
                "parent_code": region.parent_code,
                "path": path,
            }
        )
    return rows


async def _upsert(session: AsyncSession, table: Any, rows: list[dict[str, Any]]) -> None:
    statement = insert(table)
    columns = [c for c in rows[0] if c != "code"]
    await session.exec(
        statement.on_conflict_do_update(
            index_elements=["code"], set_={c: statement.excluded[c] for c in columns}
        ),
        params=rows,
    )


async def load_reference(session: AsyncSession, actor: Principal) -> dict[str, int]:
    regions = _region_rows()
    categories = [
        {"code": c.code, "name": c.name, "parent_code": c.parent_code} for c in load_categories()
    ]
    departments = [
        {
            "code": d.code,
            "name": d.name,
            "kind": d.kind,
            "level": d.level,
            "region_code": d.region_code,
            "is_market_regulator": d.is_market_regulator,
        }
        for d in load_departments()
    ]
    await _upsert(session, Region, regions)
    await _upsert(session, ProductCategory, categories)
    measures = [
        {
            "code": m.code,
            "name": m.name,
            "description": m.description,
            "legal_basis": m.legal_basis,
            "department_kinds": list(m.department_kinds),
        }
        for m in load_measures()
    ]
    await _upsert(session, Department, departments)
    await _upsert(session, Measure, measures)
    counts = {
        "regions": len(regions),
        "categories": len(categories),
        "departments": len(departments),
        "measures": len(measures),
    }
    audit.record(
        session,
        actor=actor.actor,
        action="seed.reference",
        entity_type="reference_data",
        entity_id="reference",
        state={
            "regions": regions,
            "categories": categories,
            "departments": departments,
            "measures": measures,
        },
    )
    return counts
