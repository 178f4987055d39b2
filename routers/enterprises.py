"""Enterprises and their products: /enterprises, /enterprises/{uscc}, /enterprises/{uscc}/products,
/products/{id}, and the bulk imports."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from models.common import EnterpriseSize, Page, Text
from models.enterprise import (
    EnterpriseCreate,
    EnterpriseRead,
    EnterpriseUpdate,
    ProductCreate,
    ProductRead,
    ProductUpdate,
)
from routers.deps import PageDep
from service.auth import EnterpriseReader, RegulatorPrincipal
from service.db import SessionDep, UnitOfWorkRoute
from service.directory import enterprises, products

router = APIRouter(tags=["enterprises"], route_class=UnitOfWorkRoute)


@router.get("/enterprises", response_model=Page[EnterpriseRead])
async def list_enterprises(
    session: SessionDep,
    principal: EnterpriseReader,
    page: PageDep,
    region_code: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    size: EnterpriseSize | None = None,
    active: bool | None = None,
    name_contains: Annotated[Text | None, Query(min_length=1, max_length=100)] = None,
) -> Page[EnterpriseRead]:
    filters = enterprises.EnterpriseFilter(region_code, size, active, name_contains)
    result = await enterprises.list_enterprises(session, principal, filters, page)
    return Page(
        items=[EnterpriseRead.model_validate(e) for e in result.items],
        next_cursor=result.next_cursor,
    )


@router.post("/enterprises", status_code=status.HTTP_201_CREATED)
async def create_enterprise(
    session: SessionDep, principal: RegulatorPrincipal, body: EnterpriseCreate
) -> EnterpriseRead:
    enterprise = await enterprises.create_enterprise(session, principal, body)
    return EnterpriseRead.model_validate(enterprise)


@router.get("/enterprises/{uscc}")
async def get_enterprise(
    session: SessionDep, principal: EnterpriseReader, uscc: Text
) -> EnterpriseRead:
    return EnterpriseRead.model_validate(await enterprises.get_enterprise(session, principal, uscc))


@router.patch("/enterprises/{uscc}")
async def update_enterprise(
    session: SessionDep, principal: RegulatorPrincipal, uscc: Text, body: EnterpriseUpdate
) -> EnterpriseRead:
    enterprise = await enterprises.update_enterprise(session, principal, uscc, body)
    return EnterpriseRead.model_validate(enterprise)


@router.get("/enterprises/{uscc}/products", response_model=Page[ProductRead])
async def list_products(
    session: SessionDep,
    principal: EnterpriseReader,
    page: PageDep,
    uscc: Text,
    category_code: Annotated[str | None, Query(pattern=r"^([0-9]{2})+$")] = None,
    active: bool | None = None,
) -> Page[ProductRead]:
    filters = products.ProductFilter(category_code, active)
    result = await products.list_products(session, principal, uscc, filters, page)
    return Page(
        items=[ProductRead.model_validate(p) for p in result.items], next_cursor=result.next_cursor
    )


@router.post("/enterprises/{uscc}/products", status_code=status.HTTP_201_CREATED)
async def create_product(
    session: SessionDep, principal: RegulatorPrincipal, uscc: Text, body: ProductCreate
) -> ProductRead:
    return ProductRead.model_validate(await products.create_product(session, principal, uscc, body))


@router.get("/products/{product_id}")
async def get_product(
    session: SessionDep, principal: EnterpriseReader, product_id: uuid.UUID
) -> ProductRead:
    return ProductRead.model_validate(await products.get_product(session, principal, product_id))


@router.patch("/products/{product_id}")
async def update_product(
    session: SessionDep, principal: RegulatorPrincipal, product_id: uuid.UUID, body: ProductUpdate
) -> ProductRead:
    product = await products.update_product(session, principal, product_id, body)
    return ProductRead.model_validate(product)
