"""Offers of a release: a price in a currency, the territories it is sold
in, from a start date."""

from __future__ import annotations

from typing import Any

from hub.services.catalog.checks import (
    Checker,
    check_currency,
    check_date,
    check_price,
    check_territories,
    required,
)
from hub.services.catalog.parts import PartKind, refuse_field, require_fields
from hub.tables import Offer

OFFER_FIELDS = ("price", "currency", "territories", "start-date")


async def _check_offer(checks: Checker, product: dict[str, Any], fields: dict[str, Any], current: dict[str, Any] | None) -> dict[Any, Any]:
    values: dict[Any, Any] = {}
    for name, value in fields.items():
        if name == "price":
            values[Offer.price] = checks.run(check_price, value, name)
        elif name == "currency":
            values[Offer.currency] = checks.run(check_currency, value, name)
        elif name == "territories":
            values[Offer.territories] = checks.run(check_territories, value, name)
        elif name == "start-date":
            values[Offer.start_date] = checks.run(check_date, value, name) if value is not None else None
            if value is None:
                checks.errors.append(required(name))
        else:
            refuse_field(checks, name, "an offer")
    require_fields(checks, OFFER_FIELDS, fields, current)
    return values


OFFERS = PartKind(Offer, "Offer", "offer", OFFER_FIELDS, OFFER_FIELDS, _check_offer, ("start_date", "created_at"))
