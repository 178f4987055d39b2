"""Schema migrations (Alembic), run by `qcs migrate`, `qcs serve` and the test harness."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command

_ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str) -> Config:
    config = Config(str(_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(_ROOT / "alembic"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema to `revision`. Runs its own event loop: call it from a thread when one is
    already running."""
    command.upgrade(alembic_config(database_url), revision)
