"""The enterprise and product imports: what makes a row valid, which checks need the database,
and the upsert statement."""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Mapping
from typing import Any

from sqlalchemy import Table, UpdateBase, func, or_, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.common import EnterpriseSize
from models.enterprise import Enterprise, EnterpriseRead, ProductRead
from models.reference import Region
from models.system import Role
from service.auth import Principal
from service.directory.enterprises import validate_uscc
from service.directory.imports.base import Importer, Row, returning, text
from service.errors import InvalidInput
from service.product_identity import ProductIdentityError, product_identity
from service.uscc import UsccError, normalise_uscc

_SIZES = frozenset(size.value for size in EnterpriseSize)


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


class EnterpriseImporter(Importer):
    columns = ("uscc", "name", "region_code", "size", "address", "checksum_override_reason")
    required = ("uscc", "name", "region_code")
    entity_type = "enterprise"
    id_field = "uscc"
    read_schema = EnterpriseRead

    def validate(self, fields: Mapping[str, str | None]) -> tuple[Hashable, dict[str, Any]]:
        reason = text(fields, "checksum_override_reason", 500, required=False)
        raw = text(fields, "uscc", 40, required=True) or ""
        try:
            uscc = validate_uscc(raw, reason, self.principal)
        except UsccError as exc:
            raise InvalidInput(exc.code, exc.detail, field="uscc") from None
        name = text(fields, "name", 200, required=True)
        region_code = text(fields, "region_code", 40, required=True) or ""
        if region_code not in self.regions:
            raise InvalidInput("region.unknown", f"no region {region_code}", field="region_code")
        if region_code not in self.writable:
            message = f"region {region_code} is outside the region of your department"
            raise InvalidInput("scope.region_forbidden", message, field="region_code")
        size = text(fields, "size", 10, required=False)
        if size is not None and size.lower() not in _SIZES:
            message = f"size must be one of {', '.join(sorted(_SIZES))}"
            raise InvalidInput("import.field_invalid", message, field="size")
        return uscc.value, {
            "uscc": uscc.value,
            "name": name,
            "region_code": region_code,
            "size": size.lower() if size else None,
            "address": text(fields, "address", 300, required=False),
            "checksum_override_reason": reason if uscc.checksum_overridden else None,
        }

    async def admit(self, batch: list[Row]) -> list[Row]:
        if self.principal.role is Role.ADMIN:
            return batch
        # Moving an enterprise needs authority over its current region as well.
        statement = select(Enterprise.uscc, Enterprise.region_code).where(
            col(Enterprise.uscc).in_([str(item.key) for item in batch])
        )
        current = dict((await self.session.exec(statement)).all())
        landing = []
        for item in batch:
            region_code = current.get(str(item.key))
            if region_code is None or region_code in self.writable:
                landing.append(item)
            else:
                message = f"enterprise {item.key} is registered in {region_code}, outside yours"
                self.reject_late(item, "scope.region_forbidden", message)
        return landing

    def upsert(self) -> UpdateBase:
        table = _table("enterprises")
        statement = insert(table)
        new = {
            "name": statement.excluded.name,
            "region_code": statement.excluded.region_code,
            # An empty cell leaves the stored value: an import never clears a field.
            **{
                name: func.coalesce(statement.excluded[name], table.c[name])
                for name in ("size", "address", "checksum_override_reason")
            },
        }
        changed = tuple_(*(table.c[name] for name in new)).is_distinct_from(tuple_(*new.values()))
        if self.principal.role is not Role.ADMIN:
            # `admit` checked the stored regions; this also covers a row of the same code that
            # another transaction inserts, in another region, between that check and this write.
            path = self.principal.region_path or ""
            inside = select(Region.code).where(
                or_(col(Region.path) == path, col(Region.path).startswith(path + "/"))
            )
            changed = changed & table.c.region_code.in_(inside)
        return statement.on_conflict_do_update(
            index_elements=[table.c.uscc], set_={**new, "updated_at": func.now()}, where=changed
        ).returning(*returning(table, EnterpriseRead))


class ProductImporter(Importer):
    columns = ("enterprise_uscc", "category_code", "name", "brand", "model", "standard")
    required = ("enterprise_uscc", "category_code", "name", "model")
    entity_type = "product"
    id_field = "id"
    read_schema = ProductRead

    def __init__(
        self,
        session: AsyncSession,
        principal: Principal,
        regions: dict[str, str],
        categories: frozenset[str],
    ):
        super().__init__(session, principal, regions)
        self.categories = categories

    def validate(self, fields: Mapping[str, str | None]) -> tuple[Hashable, dict[str, Any]]:
        uscc = normalise_uscc(text(fields, "enterprise_uscc", 40, required=True) or "")
        category = text(fields, "category_code", 12, required=True) or ""
        if category not in self.categories:
            message = f"unknown product category {category}"
            raise InvalidInput("category.unknown", message, field="category_code")
        name = text(fields, "name", 200, required=True)
        brand = text(fields, "brand", 100, required=False)
        model = text(fields, "model", 200, required=False)
        standard = text(fields, "standard", 200, required=False)
        try:
            identity = product_identity(standard=standard, brand=brand, model=model or "")
        except ProductIdentityError as exc:
            raise InvalidInput(exc.code, exc.detail, field="model") from None
        return (uscc, identity.key), {
            "id": uuid.uuid4(),
            "enterprise_uscc": uscc,
            "category_code": category,
            "name": name,
            "brand": brand,
            "model": model,
            "standard": standard,
            "identity_key": identity.key,
        }

    async def admit(self, batch: list[Row]) -> list[Row]:
        statement = select(Enterprise.uscc, Enterprise.region_code, Enterprise.active).where(
            col(Enterprise.uscc).in_({item.values["enterprise_uscc"] for item in batch})
        )
        found = {
            uscc: (region, active) for uscc, region, active in await self.session.exec(statement)
        }
        landing = []
        for item in batch:
            uscc = item.values["enterprise_uscc"]
            region_code, active = found.get(uscc, (None, False))
            if region_code is None:
                self.reject_late(item, "enterprise.unknown", f"no enterprise {uscc}")
            elif region_code not in self.writable:
                message = f"enterprise {uscc} is registered in {region_code}, outside your region"
                self.reject_late(item, "scope.region_forbidden", message)
            elif not active:
                self.reject_late(item, "enterprise.inactive", f"enterprise {uscc} is deactivated")
            else:
                landing.append(item)
        return landing

    def upsert(self) -> UpdateBase:
        # Brand, model and standard are the identity: an existing product keeps its spelling.
        table = _table("products")
        statement = insert(table)
        new = {"category_code": statement.excluded.category_code, "name": statement.excluded.name}
        changed = tuple_(*(table.c[name] for name in new)).is_distinct_from(tuple_(*new.values()))
        return statement.on_conflict_do_update(
            constraint="uq_products_enterprise_uscc_identity_key",
            set_={**new, "updated_at": func.now()},
            where=changed,
        ).returning(*returning(table, ProductRead))
