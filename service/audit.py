"""The audit log (审计日志): every write appends a record to a hash chain.

    hash = sha256(prev_hash || canonical record)

The canonical record holds the sequence number, time, actor, action, entity and a digest of the
entity's new state. Records are collected on the session while a unit of work runs and appended
in one go just before it commits, under a row lock on the chain head: appends are serialised for
the shortest possible time, and a rolled-back unit of work leaves no trace in the chain. The head
row (last sequence and hash) is updated in the same transaction, so deleting the newest records
is detected as well as editing or deleting any other."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.system import AuditEntry, AuditHead
from service.canonical import canonical_json, digest

GENESIS_HASH = "0" * 64
_PENDING = "audit_pending"


@dataclass(frozen=True)
class PendingRecord:
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    state_digest: str


def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    state: Mapping[str, Any],
) -> None:
    """Queue an audit record for the current unit of work."""
    pending: list[PendingRecord] = session.info.setdefault(_PENDING, [])
    pending.append(
        PendingRecord(utcnow(), actor, action, entity_type, str(entity_id), digest(state))
    )


def has_pending(info: MutableMapping[Any, Any]) -> bool:
    return bool(info.get(_PENDING))


def discard_pending(info: MutableMapping[Any, Any]) -> None:
    info.pop(_PENDING, None)


_RECORD_FIELDS = ("seq", "at", "actor", "action", "entity_type", "entity_id", "state_digest")


def canonical_record(fields: Mapping[str, Any]) -> bytes:
    """The bytes a chain link hashes: exactly the record's own fields, canonically encoded."""
    return canonical_json({name: fields[name] for name in _RECORD_FIELDS})


def chain_hash(prev_hash: str, record_bytes: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + record_bytes).hexdigest()


async def write_pending(session: AsyncSession) -> None:
    pending: list[PendingRecord] = session.info.pop(_PENDING, [])
    if not pending:
        return
    head = (
        await session.exec(
            select(AuditHead).with_for_update().execution_options(populate_existing=True)
        )
    ).one()
    seq, prev = head.seq, head.hash
    rows: list[dict[str, Any]] = []
    for item in pending:
        seq += 1
        fields = {
            "seq": seq,
            "at": item.at,
            "actor": item.actor,
            "action": item.action,
            "entity_type": item.entity_type,
            "entity_id": item.entity_id,
            "state_digest": item.state_digest,
        }
        link = chain_hash(prev, canonical_record(fields))
        rows.append({**fields, "prev_hash": prev, "hash": link})
        prev = link
    await session.exec(insert(AuditEntry), params=rows)
    await session.exec(update(AuditHead).where(col(AuditHead.id) == 1).values(seq=seq, hash=prev))


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None


async def verify_chain(session: AsyncSession, *, batch: int = 10_000) -> ChainReport:
    """Walk the chain from the start and name the first record that does not fit."""
    expected_seq, prev, checked = 1, GENESIS_HASH, 0
    while True:
        entries = (
            await session.exec(
                select(AuditEntry)
                .where(col(AuditEntry.seq) >= expected_seq)
                .order_by(col(AuditEntry.seq))
                .limit(batch)
            )
        ).all()
        for entry in entries:
            if entry.seq != expected_seq:
                return ChainReport(False, checked, expected_seq, "record missing (deleted)")
            recomputed = chain_hash(prev, canonical_record(entry.model_dump()))
            if entry.prev_hash != prev:
                return ChainReport(False, checked, entry.seq, "prev_hash does not match chain")
            if entry.hash != recomputed:
                return ChainReport(False, checked, entry.seq, "record edited (hash mismatch)")
            prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
        if len(entries) < batch:
            break
    head = (await session.exec(select(AuditHead))).one()
    if head.seq != expected_seq - 1 or head.hash != prev:
        return ChainReport(False, checked, expected_seq, "newest records missing (deleted)")
    return ChainReport(True, checked)
