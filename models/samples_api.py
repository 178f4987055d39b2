"""Request and response bodies of sample registration (抽样单) and refusals (拒绝抽查).

Rules that need the task, the plan or the roster (dates, samplers, e-commerce evidence) are
checked by `service.samples` so that each failure carries its own problem code; the schemas
bound only shapes and sizes."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pydantic

from models.common import Label, Note, Schema
from models.results import PlaceType

MAX_SAMPLERS = 20
MAX_EVIDENCE = 50
# Sample quantities are stored as INTEGER; a bound far below its range keeps them storable.
MAX_QUANTITY = 1_000_000


class EvidenceRef(Schema):
    """An evidence file (a screenshot, a photo of the refusal) by reference: where it is kept
    and, optionally, the SHA-256 of its content so it can be checked later."""

    ref: Note
    sha256: str | None = pydantic.Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")

    @pydantic.field_validator("sha256")
    @classmethod
    def _lower_case(cls, value: str | None) -> str | None:
        return value.lower() if value is not None else None


class EcommercePurchase(Schema):
    """How an online sample was bought. Every part is required for place type `e_commerce`;
    they are optional here so that a missing one is reported as
    `sample.e_commerce_evidence_missing` together with the others."""

    shop: Label | None = None
    order_number: Label | None = None
    paying_account: Label | None = None
    delivery_address: Note | None = None
    evidence: list[EvidenceRef] = pydantic.Field(default_factory=list, max_length=MAX_EVIDENCE)


class SampleCreate(Schema):
    sample_number: Label
    sampled_on: date
    place_type: PlaceType
    place_name: Label
    batch_number: Label | None = None
    production_date: date | None = None
    quantity_unit: Label
    inspection_quantity: int = pydantic.Field(gt=0, le=MAX_QUANTITY)
    backup_quantity: int = pydantic.Field(gt=0, le=MAX_QUANTITY)
    backup_holder: Label = pydantic.Field(description="Who keeps the backup sample (备用样品)")
    sampler_ids: list[uuid.UUID] = pydantic.Field(
        max_length=MAX_SAMPLERS, description="At least two distinct inspectors"
    )
    e_commerce: EcommercePurchase | None = None


class EcommerceRead(Schema):
    shop: str
    order_number: str
    paying_account: str
    delivery_address: str
    evidence: list[EvidenceRef]


class SampleRead(Schema):
    id: uuid.UUID
    task_id: uuid.UUID
    agency_id: uuid.UUID
    sampling_id: uuid.UUID
    sample_number: str
    sampled_on: date
    place_type: PlaceType
    place_name: str
    batch_number: str | None
    production_date: date | None
    quantity_unit: str
    inspection_quantity: int
    backup_quantity: int
    backup_holder: str
    sampler_ids: list[uuid.UUID]
    e_commerce: EcommerceRead | None
    created_at: datetime


class RefusalCreate(Schema):
    refused_on: date
    reason: Note
    evidence: list[EvidenceRef] = pydantic.Field(default_factory=list, max_length=MAX_EVIDENCE)
    sampler_ids: list[uuid.UUID] = pydantic.Field(
        max_length=MAX_SAMPLERS, description="At least two distinct inspectors"
    )


class RefusalRead(Schema):
    id: uuid.UUID
    task_id: uuid.UUID
    agency_id: uuid.UUID
    enterprise_uscc: str
    refused_on: date
    reason: str
    evidence: list[EvidenceRef]
    sampler_ids: list[uuid.UUID]
    created_at: datetime
