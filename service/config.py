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


@cache
def get_settings() -> Settings:
    return Settings()
