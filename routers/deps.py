"""Request parameters shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from service.config import get_settings
from service.pagination import PageRequest

_settings = get_settings()


def page_request(
    limit: Annotated[int, Query(ge=1, le=_settings.page_limit_max)] = _settings.page_limit_default,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> PageRequest:
    return PageRequest(limit=limit, cursor=cursor)


PageDep = Annotated[PageRequest, Depends(page_request)]
