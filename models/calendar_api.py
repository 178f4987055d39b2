"""Request and response bodies of the working-day calendar."""

from __future__ import annotations

from datetime import date

import pydantic

from models.common import Note, Schema


class OfficialYearIn(Schema):
    holidays: list[date] = pydantic.Field(max_length=60)
    make_up_working_days: list[date] = pydantic.Field(max_length=30)
    source: Note = pydantic.Field(
        description="The notice it comes from, e.g. 国办发明电〔2026〕X号"
    )


class OfficialYearRead(Schema):
    year: int
    holidays: list[date]
    make_up_working_days: list[date]
    source: str
