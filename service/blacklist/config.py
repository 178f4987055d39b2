"""The blacklist and joint-punishment configuration (rules §9–10). Every number is tagged like
the rules: [law]/[reg] from a statute or department rule, [ours] a default we chose. Read from
the environment once (`QCS_BLACKLIST_…`); the values in force are stored with the decisions they
drive (a listing keeps its term, a removal its lift deadline)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BlacklistSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QCS_BLACKLIST_", extra="ignore", frozen=True)

    # [reg] SAMR Order 44: listed for three years, removed at expiry.
    term_months: int = Field(default=36, ge=1)
    # [law/reg] Working days the enterprise has for a statement or a hearing request.
    statement_working_days: int = Field(default=5, ge=1)
    # [reg] Early removal (credit repair) may be applied for after this long on the list.
    early_removal_after_months: int = Field(default=12, ge=0)
    # [ours] A refusal still uncorrected — no sampling of the enterprise since — after this many
    # days makes the enterprise a candidate.
    refusal_correction_days: int = Field(default=30, ge=0)
    # [reg] Working days the departments have to lift their measures after a removal.
    lift_working_days: int = Field(default=3, ge=1)
    # [ours] How far back `GET /joint-punishment/changes?since=` reaches; older asks get a 410.
    changes_retention_days: int = Field(default=365, ge=1)
    # USCCs one `POST /joint-punishment/check` may ask about.
    check_max_usccs: int = Field(default=10_000, ge=1)
    # [ours] Red list: grade A, and no listing or nonconforming result in this many years.
    redlist_years: int = Field(default=3, ge=1)
    # Releases (定期公布): the day of the month the release job publishes, at 01:00 business time.
    release_day_of_month: int = Field(default=1, ge=1, le=28)
    # The Ed25519 signing key (PEM, PKCS#8); created on first use when missing. Default:
    # `release-signing-key.pem` under QCS_DATA_DIR.
    signing_key_file: Path | None = None
    # Webhooks: retry for this long with exponential backoff; disable an endpoint after this
    # many failed attempts in a row.
    webhook_retry_hours: int = Field(default=24, ge=1)
    webhook_disable_after_failures: int = Field(default=15, ge=1)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)


@cache
def get_blacklist_settings() -> BlacklistSettings:
    return BlacklistSettings()
