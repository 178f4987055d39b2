"""Recomputing and recording scores: the score and risk class of each enterprise are recomputed
in the transaction that changes its file (a new event, a corrected event) and by the hourly job
when an event ages out of publication or out of a risk window, or the model changes.

A new snapshot (`credit_scores`) is written only when the outcome differs from the recorded one
(compared by digest), so the history holds exactly the changes, each valid from its business day.
The enterprise's `credit_standings` row is locked first: concurrent recomputations of one
enterprise run one after the other, and the later one reads every event the earlier committed."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import Listing
from models.credit import CreditEvent, CreditEventType, CreditModel, CreditScore, CreditStanding
from models.enterprise import Enterprise
from service import audit
from service.canonical import digest, plain
from service.credit import risk, score
from service.credit.config import CreditSettings, get_credit_settings


async def listed_among(session: AsyncSession, usccs: Collection[str], on: date) -> set[str]:
    """The enterprises among `usccs` on the blacklist on `on`: listed on or before it and not
    removed by then (the removal day itself is off the list)."""
    if not usccs:
        return set()
    rows = await session.exec(
        select(Listing.enterprise_uscc).where(
            col(Listing.enterprise_uscc).in_(list(usccs)),
            col(Listing.listed_on) <= on,
            or_(col(Listing.removed_on).is_(None), col(Listing.removed_on) > on),
        )
    )
    return set(rows.all())


async def is_listed(session: AsyncSession, uscc: str, on: date) -> bool:
    """Whether the enterprise is on the blacklist on `on`."""
    return uscc in await listed_among(session, [uscc], on)


def fact_of(event: CreditEvent) -> score.Fact:
    return score.Fact(
        id=event.id,
        type=CreditEventType(event.type),
        occurred_on=event.occurred_on,
        publish_until=event.publish_until,
        severity=event.severity,
        counting=event.status == "counting",
    )


@dataclass(frozen=True)
class Outcome:
    """Score and risk class of one file on one day, with the digest that identifies them."""

    score: score.Score
    risk: risk.RiskAssessment

    @property
    def next_review_on(self) -> date | None:
        days = [d for d in (self.score.next_change_on, self.risk.next_change_on) if d]
        return min(days) if days else None

    def explanation(self) -> list[dict[str, Any]]:
        return [
            plain(
                {
                    "credit_event_id": c.event_id,
                    "type": c.type,
                    "occurred_on": c.occurred_on,
                    "rule": c.rule,
                    "points": c.points,
                    "note": c.note,
                }
            )
            for c in self.score.explanation
        ]

    def record(self) -> dict[str, Any]:
        s, r = self.score, self.risk
        return {
            "score": s.score,
            "base": s.base,
            "grade": s.grade.value,
            "grade_reason": s.grade_reason,
            "listed": s.listed,
            "explanation": self.explanation(),
            "model_version": s.model_version,
            "risk_class": r.risk_class.value,
            "risk_reasons": list(r.reasons),
            "risk_version": r.version,
        }

    @property
    def digest(self) -> str:
        return digest(self.record())


def evaluate(
    facts: Sequence[score.Fact], *, on: date, listed: bool, settings: CreditSettings
) -> Outcome:
    """The pure part of a recomputation: the models applied to one file."""
    s = score.compute(facts, on=on, listed=listed, weights=settings.score_weights)
    r = risk.classify(facts, on=on, listed=listed, grade=s.grade, rules=settings.risk_rules)
    return Outcome(s, r)


async def record_models(session: AsyncSession, settings: CreditSettings) -> None:
    """Store the parameters behind the versions in force (once per version)."""
    rows = [
        {
            "version": score.model_version(settings.score_weights),
            "kind": "score",
            "parameters": settings.score_weights.model_dump(),
        },
        {
            "version": risk.risk_version(settings.risk_rules),
            "kind": "risk",
            "parameters": settings.risk_rules.model_dump(),
        },
    ]
    await session.exec(insert(CreditModel).values(rows).on_conflict_do_nothing())


async def lock_standings(session: AsyncSession, usccs: Sequence[str]) -> dict[str, CreditStanding]:
    """Create the standings that do not exist yet and lock them all, in key order (so two
    recomputations of overlapping sets cannot deadlock)."""
    await session.exec(
        insert(CreditStanding)
        .values([{"enterprise_uscc": u} for u in usccs])
        .on_conflict_do_nothing()
    )
    rows = (
        await session.exec(
            select(CreditStanding)
            .where(col(CreditStanding.enterprise_uscc).in_(usccs))
            .order_by(col(CreditStanding.enterprise_uscc))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()
    return {row.enterprise_uscc: row for row in rows}


async def recompute(
    session: AsyncSession,
    usccs: Collection[str],
    *,
    today: date,
    trigger: str,
    actor: str,
    settings: CreditSettings | None = None,
) -> dict[str, CreditScore]:
    """Recompute the files of `usccs` on `today`; returns the snapshots that were written (one
    per enterprise whose outcome changed)."""
    settings = settings or get_credit_settings()
    keys = sorted(set(usccs))
    if not keys:
        return {}
    await session.flush()
    await record_models(session, settings)
    standings = await lock_standings(session, keys)
    events = (
        await session.exec(select(CreditEvent).where(col(CreditEvent.enterprise_uscc).in_(keys)))
    ).all()
    facts: dict[str, list[score.Fact]] = {u: [] for u in keys}
    for event in events:
        facts[event.enterprise_uscc].append(fact_of(event))
    listed = await listed_among(session, keys, today)

    written: dict[str, CreditScore] = {}
    risk_changes: dict[str, list[str]] = {}
    for uscc in keys:
        outcome = evaluate(facts[uscc], on=today, listed=uscc in listed, settings=settings)
        standing = standings[uscc]
        standing.next_review_on = outcome.next_review_on
        if standing.digest == outcome.digest:
            continue
        record = outcome.record()
        snapshot = CreditScore(
            enterprise_uscc=uscc, valid_from=today, trigger=trigger, digest=outcome.digest, **record
        )
        session.add(snapshot)
        written[uscc] = snapshot
        standing.digest = outcome.digest
        standing.model_version = outcome.score.model_version
        standing.risk_version = outcome.risk.version
        risk_changes.setdefault(outcome.risk.risk_class.value, []).append(uscc)
    await session.flush()
    for uscc, snapshot in written.items():
        standings[uscc].score_id = snapshot.id
        audit.record(
            session,
            actor=actor,
            action="credit_score.record",
            entity_type="enterprise_credit",
            entity_id=uscc,
            state={"valid_from": today, "trigger": trigger, "digest": snapshot.digest},
        )
    # The draw reads the class from the enterprise; only rows that change are written.
    for risk_class, members in risk_changes.items():
        await session.exec(
            update(Enterprise)
            .where(col(Enterprise.uscc).in_(members), col(Enterprise.risk_class) != risk_class)
            .values(risk_class=risk_class)
        )
    await session.flush()
    return written


async def due_for_review(
    session: AsyncSession, *, today: date, limit: int, settings: CreditSettings | None = None
) -> list[str]:
    """Enterprises whose recorded score may be out of date: an event aged out (or a window
    closed) by `today`, or it was computed by another model version. Rows a request is
    recomputing right now are skipped: that request records the current outcome itself."""
    settings = settings or get_credit_settings()
    stale = (
        (col(CreditStanding.next_review_on) <= today)
        | (col(CreditStanding.model_version) != score.model_version(settings.score_weights))
        | (col(CreditStanding.risk_version) != risk.risk_version(settings.risk_rules))
    )
    rows = (
        await session.exec(
            select(CreditStanding.enterprise_uscc)
            .where(stale)
            .order_by(col(CreditStanding.next_review_on).nulls_last())
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    return list(rows)
