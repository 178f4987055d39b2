"""Engine, sessions and the unit of work.

A request (or a job run) is the unit of work: services only add and flush, and the session is
committed once at the boundary — for HTTP by `UnitOfWorkRoute`, after the endpoint has produced
its response and before that response is sent, so a failed commit is never reported as success."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from service import audit
from service.config import Settings
from service.credit.projection import project_pending


def make_engine(url: str, settings: Settings) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        connect_args={
            "server_settings": {
                "statement_timeout": str(settings.db_statement_timeout_ms),
                "timezone": "UTC",
            }
        },
    )
    event.listen(engine.sync_engine.pool, "checkout", _drop_closed_connection)
    return engine


def _drop_closed_connection(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    # The pool's pre-ping costs three round trips on asyncpg (BEGIN, a query, ROLLBACK) on every
    # checkout. A restarted or failed-over server closes its sockets, and asyncpg notices that
    # while the connection idles in the pool: refusing such a connection here makes the pool
    # replace it, at no round trip.
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@event.listens_for(Session, "before_commit")
def _refuse_commit_with_unwritten_audit(session: Session) -> None:
    # Every write must reach the audit chain; committing around `commit()` below would lose it.
    # Releasing a SAVEPOINT fires this event too: only the outermost commit must find it empty.
    if session.in_nested_transaction():
        return
    if audit.has_pending(session.info):
        raise RuntimeError("commit with pending audit records: use service.db.commit()")


@event.listens_for(Session, "after_soft_rollback")
def _forget_audit_of_rolled_back_work(session: Session, previous_transaction: Any) -> None:
    # What was rolled back never happened; only the outermost transaction holds the queue.
    if previous_transaction.parent is None:
        audit.discard_pending(session.info)


async def commit(session: AsyncSession) -> None:
    """Project this unit of work's domain events into the credit files, append the pending audit
    records to the chain, then commit — all in the one transaction."""
    await project_pending(session)
    await audit.write_pending(session)
    await session.commit()


async def driver_connection(session: AsyncSession) -> Any:
    """The session's asyncpg connection, inside the session's transaction, for the few hot reads
    that build their answer in one statement and need none of the ORM's per-row work."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with maker() as session:
        request.state.session = session
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


class UnitOfWorkRoute(APIRoute):
    """Commits the request's session after the endpoint returned and before the response is
    sent."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            response = await handler(request)
            session: AsyncSession | None = getattr(request.state, "session", None)
            if session is not None and (
                session.in_transaction() or audit.has_pending(session.info)
            ):
                await commit(session)
            return response

        return handle
