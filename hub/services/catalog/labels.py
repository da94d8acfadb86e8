"""What a release links to: labels, languages and product types. Each is
created, read and listed; a language's code is unique in its organization."""

from __future__ import annotations

from typing import Any

from piccolo.table import Table

from hub.clock import utcnow
from hub.db import UNIQUE_VIOLATIONS
from hub.errors import Conflict, Invalid
from hub.secrets import new_id
from hub.services.catalog.checks import (
    Checker,
    check_language_code,
    check_string,
    unknown_field,
)
from hub.services.catalog.rows import find_owned, page_of
from hub.tables import Label, Language, ProductType

#: The fields of each, in the order their problems are listed.
LABEL_FIELDS = ("name",)
LANGUAGE_FIELDS = ("code", "name")
PRODUCT_TYPE_FIELDS = ("name",)


def _only(checks: Checker, fields: dict[str, Any], allowed: tuple[str, ...], noun: str) -> None:
    for name in fields:
        if name not in allowed:
            checks.errors.append(unknown_field(name, noun))


async def find_label(org: str, label_id: Any) -> dict[str, Any]:
    return await find_owned(Label, "Label", org, label_id)


async def list_labels(org: str, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    return await page_of(Label, org, limit=limit, offset=offset)


async def _create_named(
    table: type[Table], prefix: str, noun: str, org: str, fields: dict[str, Any], checks: Checker | None
) -> str:
    """Insert a row that is only a ``name`` (a label, a product type); its id."""
    checks = checks or Checker()
    _only(checks, fields, ("name",), noun)
    name = checks.run(check_string, fields.get("name"), "name", is_required=True)
    checks.raise_problems(order=("name",))
    row_id = new_id(prefix)
    await table.insert(table(id=row_id, org=org, name=name, created_at=utcnow()))
    return row_id


async def create_label(org: str, fields: dict[str, Any], *, checks: Checker | None = None) -> dict[str, Any]:
    """A label: a ``name``. ``checks`` may hold the caller's own problems
    with the input, refused together with these."""
    return await find_label(org, await _create_named(Label, "label", "a label", org, fields, checks))


async def find_language(org: str, language_id: Any) -> dict[str, Any]:
    return await find_owned(Language, "Language", org, language_id)


async def list_languages(org: str, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    return await page_of(Language, org, limit=limit, offset=offset)


async def create_language(org: str, fields: dict[str, Any], *, checks: Checker | None = None) -> dict[str, Any]:
    """A language: a ``code``, unique in the organization, and a ``name``."""
    checks = checks or Checker()
    _only(checks, fields, LANGUAGE_FIELDS, "a language")
    code = checks.run(check_language_code, fields.get("code"))
    name = checks.run(check_string, fields.get("name"), "name", is_required=True)
    if code and not checks.failed("code"):
        taken = await Language.select(Language.id).where(Language.org == org, Language.code == code).first()
        if taken:
            checks.errors.append(Invalid(f"code is already taken by language {taken['id']}", field="code"))
    checks.raise_problems(order=LANGUAGE_FIELDS)
    language_id = new_id("language")
    try:
        await Language.insert(Language(id=language_id, org=org, code=code, name=name, created_at=utcnow()))
    except UNIQUE_VIOLATIONS as exc:  # lost a race with the same code
        raise Conflict(f"code is already taken: another language has {code}", field="code") from exc
    return await find_language(org, language_id)


async def find_product_type(org: str, product_type_id: Any) -> dict[str, Any]:
    return await find_owned(ProductType, "Product type", org, product_type_id)


async def list_product_types(org: str, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    return await page_of(ProductType, org, limit=limit, offset=offset)


async def create_product_type(org: str, fields: dict[str, Any], *, checks: Checker | None = None) -> dict[str, Any]:
    """A product type (album, single, EP...): a ``name``."""
    return await find_product_type(
        org, await _create_named(ProductType, "ptype", "a product type", org, fields, checks)
    )
