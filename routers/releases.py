"""Signed releases of the blacklist (定期公布): /releases, /releases/latest, /releases/{number}
and the public key they are signed with, /releases/public-key (no key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from models.common import Page
from models.releases_api import PublicKeyRead, ReleaseRead, ReleaseSummary
from routers.deps import PageDep
from service import clock
from service.auth import CurrentPrincipal, RegulatorPrincipal
from service.blacklist import releases, signing
from service.db import SessionDep, UnitOfWorkRoute

router = APIRouter(tags=["releases"], route_class=UnitOfWorkRoute)

ReleaseNumber = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get("/releases/public-key")
async def get_public_key() -> PublicKeyRead:
    """The Ed25519 key releases are signed with; needs no API key."""
    return PublicKeyRead(
        algorithm=signing.ALGORITHM, public_key=signing.public_key_b64(signing.load_key())
    )


@router.post("/releases", status_code=status.HTTP_201_CREATED)
async def publish_release(session: SessionDep, principal: RegulatorPrincipal) -> ReleaseRead:
    """Publish the next release now (besides the monthly one). Provincial and national market
    regulators only."""
    release = await releases.publish_on_demand(session, principal, today=clock.today())
    return releases.release_read(release)


@router.get("/releases", response_model=Page[ReleaseSummary])
async def list_releases(
    session: SessionDep, principal: CurrentPrincipal, page: PageDep
) -> Page[ReleaseSummary]:
    """Releases newest first, without their signed text."""
    found = await releases.list_releases(session, page)
    return Page(
        items=[ReleaseSummary.model_validate(r) for r in found.items],
        next_cursor=found.next_cursor,
    )


@router.get("/releases/latest")
async def get_latest_release(session: SessionDep, principal: CurrentPrincipal) -> ReleaseRead:
    return releases.release_read(await releases.get_latest(session))


@router.get("/releases/{number}")
async def get_release(
    session: SessionDep, principal: CurrentPrincipal, number: ReleaseNumber
) -> ReleaseRead:
    """Release `number` with the exact text that was signed and its signature."""
    return releases.release_read(await releases.get_release(session, number))
