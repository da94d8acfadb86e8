"""One shape per resource: the records plugins are typed with are the core's resources.

:mod:`hub.resources` builds each resource once, for the API, the hooks and the
webhooks alike; :mod:`hub.plugins.records` types the same objects for a plugin
author's editor. These tests fail when the two name different fields, so a
field added to a resource is documented for plugins in the same change.
"""

from __future__ import annotations

import typing

import msgspec
import pytest

from hub import resources
from hub.plugins import records

#: Each record and the resource it types.
PAIRS = [
    (records.Product, resources.Product),
    (records.VersionSummary, resources.VersionSummary),
    (records.Version, resources.Version),
    (records.VersionFile, resources.VersionFile),
    (records.Token, resources.Token),
    (records.ProductRef, resources.TokenProduct),
    (records.Purchase, resources.Purchase),
    (records.PurchaseToken, resources.PurchaseToken),
    (records.PurchaseItem, resources.PurchaseItem),
    (records.License, resources.License),
    (records.Activation, resources.Activation),
]


def wire_fields(resource: type[msgspec.Struct], *, with_unset: bool) -> set[str]:
    """The camelCase names ``resource`` is sent with; without the fields
    that are ``UNSET`` by default (a token's secret, shown only when minted:
    never in a record) unless ``with_unset``."""
    hints = typing.get_type_hints(resource)
    return {
        field.encode_name
        for field in msgspec.inspect.type_info(resource).fields
        if with_unset or msgspec.UnsetType not in typing.get_args(hints[field.name])
    }


@pytest.mark.parametrize(("record", "resource"), PAIRS, ids=lambda kind: kind.__name__)
def test_each_record_names_exactly_its_resources_fields(record, resource):
    always = wire_fields(resource, with_unset=False)
    sometimes = wire_fields(resource, with_unset=True) - always
    documented = set(record.__annotations__)
    assert always <= documented, f"records.{record.__name__} lacks {sorted(always - documented)}"
    assert documented <= always | sometimes, f"records.{record.__name__} names {sorted(documented - always - sometimes)}"


def test_a_record_is_the_resource_as_json():
    """What a hook receives is the API's object, key for key."""
    token = resources.Token(
        id="tok_1", expires_at="2026-01-31T12:00:00Z", max_downloads=None, used_count=0, customer_email=None,
        metadata={}, revoked=False, revoked_at=None, created_at="2026-01-01T00:00:00Z", purchase_id=None,
        product=resources.TokenProduct(id="pack", name="Pack", version="1.0.0"),
    )
    record = resources.as_record(token)
    assert record["expiresAt"] == "2026-01-31T12:00:00Z" and record["product"] == {"id": "pack", "name": "Pack", "version": "1.0.0"}
    assert "token" not in record and "downloadUrl" not in record  # no secret in a record
    assert msgspec.json.decode(msgspec.json.encode(token)) == record
