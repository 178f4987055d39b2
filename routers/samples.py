"""(being built)"""

from __future__ import annotations

from fastapi import APIRouter

from service.db import UnitOfWorkRoute

router = APIRouter(tags=["samples"], route_class=UnitOfWorkRoute)
