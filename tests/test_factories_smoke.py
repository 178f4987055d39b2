from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from tests.factories import make_result, make_task


async def test_the_result_factory_builds_a_consistent_chain(session: AsyncSession) -> None:
    drawn = await make_task(session)
    result = await make_result(session, drawn, verdict="nonconforming", state="final")
    assert result.final_on is not None
    assert result.enterprise_uscc == drawn.enterprise.uscc
