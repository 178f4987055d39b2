"""Demo sampling rounds on top of the demo directory: a Henan provincial plan that is published
and drawn (its tasks assigned), and a Hubei plan that is published and waiting for its draw."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from models.common import PlanKind
from models.plan import PlanCreate, PlanState, QuotaIn
from models.system import Role
from service.auth import Principal
from service.draw import runner
from service.plans import change_state, create_plan

HENAN = Principal(
    role=Role.REGULATOR,
    name="demo",
    department_code="scjg-410000",
    department_level="provincial",
    region_code="410000",
    region_path="000000/410000",
)
HUBEI = Principal(
    role=Role.REGULATOR,
    name="demo",
    department_code="scjg-420000",
    department_level="provincial",
    region_code="420000",
    region_path="000000/420000",
)


async def load_demo_plans(session: AsyncSession) -> dict[str, int]:
    drawn = await create_plan(
        session,
        HENAN,
        PlanCreate(
            title="2026年河南省电冰箱、洗衣机产品质量省级监督抽查",
            kind=PlanKind.ROUTINE,
            period_start=date(2026, 12, 1),
            period_end=date(2027, 3, 31),
            quotas=[
                QuotaIn(category_code="0401", quota=12),
                QuotaIn(category_code="0402", quota=8),
            ],
        ),
    )
    await change_state(session, HENAN, drawn.id, PlanState.PUBLISHED)
    draw = await runner.commit_draw(session, HENAN, drawn.id)
    await runner.execute_draw(session, HENAN, draw.id)

    waiting = await create_plan(
        session,
        HUBEI,
        PlanCreate(
            title="2026年湖北省儿童用品及玩具产品质量监督抽查",
            kind=PlanKind.SPECIAL,
            period_start=date(2027, 1, 1),
            period_end=date(2027, 6, 30),
            quotas=[QuotaIn(category_code="06", quota=15)],
        ),
    )
    await change_state(session, HUBEI, waiting.id, PlanState.PUBLISHED)
    return {"plans": 2, "draws": 1}
