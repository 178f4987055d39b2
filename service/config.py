"""The one settings object, read from the environment once and never mutated at runtime."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("qcs", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QCS_", extra="ignore", frozen=True)

    # Names fixed by the public contract: DATABASE_URL, QCS_DATA_DIR, QCS_SCHEDULER.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "QCS_DATABASE_URL")
    )
    data_dir: Path = Field(default_factory=_default_data_dir)
    scheduler: bool = True

    # Request bodies: the ordinary limit, and the larger one for bulk directory imports.
    max_body_bytes: int = 1_048_576
    max_import_bytes: int = 256 * 1_048_576
    page_limit_default: int = 50
    page_limit_max: int = 500
    import_batch_rows: int = 2_000

    db_pool_size: int = 10
    db_max_overflow: int = 10
    db_statement_timeout_ms: int = 30_000

    # Draw weights by internal risk class (sampling ratios A 1% · B 2% · C 10% · D 30%, Henan
    # 2021 practice) and inspectors per task (行政处罚法 §42: at least two).
    draw_risk_weights: dict[str, int] = Field(
        default_factory=lambda: {"A": 1, "B": 2, "C": 10, "D": 30}
    )
    draw_inspectors_per_task: int = Field(default=2, ge=2)
    # Months of the no-resampling lock and the plan kinds exempt from it (rules §4).
    six_month_months: int = Field(default=6, ge=0)
    six_month_exempt_kinds: frozenset[str] = frozenset({"follow_up", "emergency"})

    # Loopback webhook targets and similar test-only affordances.
    test_mode: bool = False

    @field_validator("database_url")
    @classmethod
    def _asyncpg_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if value.startswith(("postgresql://", "postgres://")):
            scheme, rest = value.split("://", 1)
            return f"postgresql+asyncpg://{rest}"
        if not value.startswith("postgresql+asyncpg://"):
            raise ValueError("DATABASE_URL must be a postgresql:// or postgresql+asyncpg:// URL")
        return value

    @field_validator("draw_risk_weights")
    @classmethod
    def _weights_cover_every_class(cls, value: dict[str, int]) -> dict[str, int]:
        if set(value) != {"A", "B", "C", "D"} or any(w <= 0 for w in value.values()):
            raise ValueError("draw_risk_weights needs a positive weight for each of A, B, C, D")
        return value


@cache
def get_settings() -> Settings:
    return Settings()
