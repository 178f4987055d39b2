"""What an enterprise sees of itself with its own key: /me/results."""

from __future__ import annotations

from fastapi import APIRouter

from models.common import Page
from models.results import ResultState, Verdict
from models.results_api import MyResultRead
from routers.deps import PageDep
from service import clock, results
from service.auth import EnterprisePrincipal
from service.db import SessionDep, UnitOfWorkRoute

router = APIRouter(tags=["enterprise-self"], route_class=UnitOfWorkRoute)


@router.get("/me/results", response_model=Page[MyResultRead])
async def my_results(
    session: SessionDep,
    principal: EnterprisePrincipal,
    page: PageDep,
    state: ResultState | None = None,
    verdict: Verdict | None = None,
) -> Page[MyResultRead]:
    """The caller's own results, each with its objection deadline and whether it can still
    object."""
    filters = results.MyResultFilter(state, verdict)
    found = await results.my_results(session, principal, filters, page, today=clock.today())
    return Page(items=list(found.items), next_cursor=found.next_cursor)
