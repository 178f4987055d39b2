"""Products (产品) of an enterprise. Identity follows "同一产品": same producer, standard, trademark
and 规格型号 after normalisation, so two spellings of one model are one product."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.enterprise import Enterprise, Product, ProductCreate, ProductRead, ProductUpdate
from service import audit
from service.auth import Principal
from service.directory.enterprises import ensure_can_write_in, get_enterprise, readable_enterprises
from service.directory.reference import require_categories, require_region
from service.errors import Conflict, InvalidInput, NotFound
from service.pagination import PageRequest, PageResult, keyset_page
from service.product_identity import product_identity


def product_state(product: Product) -> dict[str, object]:
    return ProductRead.model_validate(product).model_dump(
        mode="json", exclude={"created_at", "updated_at"}
    )


async def get_product(
    session: AsyncSession, principal: Principal, product_id: uuid.UUID
) -> Product:
    # Products are readable exactly where their enterprise is.
    readable = readable_enterprises(principal).with_only_columns(col(Enterprise.uscc))
    product = (
        await session.exec(
            select(Product).where(
                col(Product.id) == product_id, col(Product.enterprise_uscc).in_(readable)
            )
        )
    ).first()
    if product is None:
        raise NotFound("product.not_found", f"no product {product_id}")
    return product


@dataclass(frozen=True)
class ProductFilter:
    category_code: str | None = None
    active: bool | None = None


async def list_products(
    session: AsyncSession,
    principal: Principal,
    uscc: str,
    filters: ProductFilter,
    page: PageRequest,
) -> PageResult[Product]:
    enterprise = await get_enterprise(session, principal, uscc)
    statement = select(Product).where(col(Product.enterprise_uscc) == enterprise.uscc)
    if filters.category_code is not None:
        statement = statement.where(col(Product.category_code).startswith(filters.category_code))
    if filters.active is not None:
        statement = statement.where(col(Product.active) == filters.active)
    return await keyset_page(session, statement, Product.id, page)  # type: ignore[arg-type]


async def create_product(
    session: AsyncSession, principal: Principal, uscc: str, data: ProductCreate
) -> Product:
    enterprise = await get_enterprise(session, principal, uscc)
    await ensure_can_write_in(
        session, principal, await require_region(session, enterprise.region_code)
    )
    if not enterprise.active:
        raise InvalidInput("enterprise.inactive", f"enterprise {enterprise.uscc} is deactivated")
    await require_categories(session, [data.category_code])
    identity = product_identity(standard=data.standard, brand=data.brand, model=data.model)
    existing = (
        await session.exec(
            select(Product).where(
                col(Product.enterprise_uscc) == enterprise.uscc,
                col(Product.identity_key) == identity.key,
            )
        )
    ).first()
    if existing is not None:
        raise Conflict(
            "product.exists",
            f"enterprise {enterprise.uscc} already has this product (same standard, brand, model)",
            product_id=str(existing.id),
        )
    product = Product(
        enterprise_uscc=enterprise.uscc,
        category_code=data.category_code,
        name=data.name.strip(),
        brand=data.brand.strip() if data.brand else None,
        model=data.model.strip(),
        standard=data.standard.strip() if data.standard else None,
        identity_key=identity.key,
    )
    session.add(product)
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="product.create",
        entity_type="product",
        entity_id=str(product.id),
        state=product_state(product),
    )
    return product


async def update_product(
    session: AsyncSession, principal: Principal, product_id: uuid.UUID, data: ProductUpdate
) -> Product:
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("request.empty_update", "the update changes nothing")
    product = await get_product(session, principal, product_id)
    enterprise = await get_enterprise(session, principal, product.enterprise_uscc)
    await ensure_can_write_in(
        session, principal, await require_region(session, enterprise.region_code)
    )
    if data.category_code is not None:
        await require_categories(session, [data.category_code])
        product.category_code = data.category_code
    if data.name is not None:
        product.name = data.name.strip()
    if data.active is not None and data.active != product.active:
        product.active = data.active
        product.deactivated_at = None if data.active else utcnow()
    product.updated_at = utcnow()
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="product.update",
        entity_type="product",
        entity_id=str(product.id),
        state=product_state(product),
    )
    return product
