"""Rights of a release: who holds which right (master, publishing...) in
which territory."""

from __future__ import annotations

from typing import Any

from hub.services.catalog.checks import (
    RIGHT_TYPES,
    Checker,
    check_string,
    check_territory,
    required,
)
from hub.services.catalog.parts import PartKind, refuse_field, require_fields
from hub.services.products import check_status
from hub.tables import Right

RIGHT_FIELDS = ("territory", "holder", "right-type")


def check_right_type(value: Any, field_name: str = "right-type") -> str:
    if value is None:
        raise required(field_name)
    return check_status(value, RIGHT_TYPES, field=field_name)


async def _check_right(checks: Checker, product: dict[str, Any], fields: dict[str, Any], current: dict[str, Any] | None) -> dict[Any, Any]:
    values: dict[Any, Any] = {}
    for name, value in fields.items():
        if name == "territory":
            values[Right.territory] = checks.run(check_territory, value, name)
        elif name == "holder":
            values[Right.holder] = checks.run(check_string, value, name, is_required=True)
        elif name == "right-type":
            values[Right.type] = checks.run(check_right_type, value, name)
        else:
            refuse_field(checks, name, "a right")
    require_fields(checks, RIGHT_FIELDS, fields, current)
    return values


RIGHTS = PartKind(Right, "Right", "right", RIGHT_FIELDS, RIGHT_FIELDS, _check_right, ("created_at",))
