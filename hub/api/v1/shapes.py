"""Rows as v1 resource objects: the seed's types, hyphenated attribute
names, ``createdAt``/``updatedAt`` as ``2023-08-11T20:45:10.000000Z``, and
links built from ``HUB_PUBLIC_URL``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.clock import UTC, as_aware
from hub.services.catalog.covers import cover_file
from hub.services.catalog.releases import CREDIT_FIELDS

#: v1's statuses of a product and the product statuses they are: the
#: JSON:API surface calls a published product ``active``.
RELEASE_STATUSES = {"draft": "draft", "active": "published", "archived": "archived"}
PRODUCT_TO_RELEASE_STATUS = {product: release for release, product in RELEASE_STATUSES.items()}

#: A product's relationships, in the seed's order, and the type each links to.
PRODUCT_RELATIONSHIPS = {
    "company": "companies",
    "label": "labels",
    "product-type": "product-types",
    "language": "languages",
    "offers": "offers",
    "tracks": "tracks",
    "rights": "rights",
}
TO_MANY = ("offers", "tracks", "rights")
#: The relationships a product document may write, and the type each links to.
PRODUCT_LINK_TYPES = {"label": "labels", "language": "languages", "product-type": "product-types"}


def timestamp(moment: datetime | None) -> str | None:
    """``2023-08-11T20:45:10.000000Z``: the seed's timestamps."""
    if moment is None:
        return None
    return as_aware(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def date_timestamp(day: str | None) -> str | None:
    """A stored ``YYYY-MM-DD`` as the seed shows dates: midnight UTC."""
    return f"{day}T00:00:00.000000Z" if day else None


@dataclass(frozen=True)
class Urls:
    """Every v1 URL, absolute, from the hub's public URL."""

    public_url: str

    @property
    def api(self) -> str:
        return f"{self.public_url}/api/v1"

    def collection(self, resource_type: str) -> str:
        return f"{self.api}/{resource_type}"

    def resource(self, resource_type: str, resource_id: str) -> str:
        return f"{self.api}/{resource_type}/{resource_id}"

    def related(self, product_id: str, name: str) -> str:
        return f"{self.api}/products/{product_id}/{name}"

    def relationship(self, product_id: str, name: str) -> str:
        return f"{self.api}/products/{product_id}/relationships/{name}"

    def cover(self, key: str | None) -> str | None:
        """``orgs/<org>/covers/<file>`` → the hub's public URL of the image."""
        parts = cover_file(key)
        if parts is None:
            return None
        org, file_name = parts
        return f"{self.public_url}/covers/{org}/{file_name}"


def identifier(resource: dict[str, Any]) -> dict[str, str]:
    return {"type": resource["type"], "id": resource["id"]}


def _resource(urls: Urls, resource_type: str, resource_id: str, attributes: dict[str, Any], **extra: Any) -> dict:
    return {
        "type": resource_type,
        "id": resource_id,
        "attributes": attributes,
        **extra,
        "links": {"self": urls.resource(resource_type, resource_id)},
    }


def product(urls: Urls, row: dict, linkage: dict[str, Any] | None = None) -> dict[str, Any]:
    """A product with its release metadata (null where it has none, as a
    product made through the main API); ``linkage`` adds the ``data`` of
    relationships whose resources are included."""
    release = row["release"] or {}
    slug = row["slug"]
    attributes = {
        "name": row["name"],
        "is-compilation": release.get("is-compilation"),
        "upc-code": row["upc_code"],
        "copyright-line": release.get("copyright-line"),
        "production-line": release.get("production-line"),
        "production-year": release.get("production-year"),
        "status": PRODUCT_TO_RELEASE_STATUS.get(row["status"], row["status"]),
        "cover-url": urls.cover(row["cover_key"]),
        "release-date": date_timestamp(release.get("release-date")),
        "original-release-date": date_timestamp(release.get("original-release-date")),
        "mastered-by": release.get("mastered-by"),
        "label-internal-reference": release.get("label-internal-reference"),
        "subtitle": release.get("subtitle"),
        "front-cover-md5": row["cover_md5"],
        **{name: release.get(name) for name in CREDIT_FIELDS},
        "custom-data": release.get("custom-data"),
        "createdAt": timestamp(row["created_at"]),
        "updatedAt": timestamp(row["updated_at"]),
    }
    relationships = {}
    for name in PRODUCT_RELATIONSHIPS:
        relationships[name] = {"links": {"related": urls.related(slug, name), "self": urls.relationship(slug, name)}}
        if linkage and name in linkage:
            relationships[name]["data"] = linkage[name]
    return _resource(urls, "products", slug, attributes, relationships=relationships)


def company(urls: Urls, row: dict) -> dict[str, Any]:
    """A company: the organization, named by its display name, or by its id
    while it has none (an integrator's API always has a name to show)."""
    name = row["name"] or row["id"]
    return _resource(urls, "companies", row["id"], {"name": name, "createdAt": timestamp(row["created_at"])})


def label(urls: Urls, row: dict) -> dict[str, Any]:
    return _resource(urls, "labels", row["id"], {"name": row["name"], "createdAt": timestamp(row["created_at"])})


def language(urls: Urls, row: dict) -> dict[str, Any]:
    return _resource(
        urls, "languages", row["id"],
        {"code": row["code"], "name": row["name"], "createdAt": timestamp(row["created_at"])},
    )


def product_type(urls: Urls, row: dict) -> dict[str, Any]:
    return _resource(urls, "product-types", row["id"], {"name": row["name"], "createdAt": timestamp(row["created_at"])})


def _belongs_to(urls: Urls, row: dict) -> dict[str, Any]:
    return {
        "product": {
            "links": {"related": urls.resource("products", row["product_slug"])},
            "data": {"type": "products", "id": row["product_slug"]},
        }
    }


def track(urls: Urls, row: dict) -> dict[str, Any]:
    attributes = {
        "title": row["title"],
        "isrc": row["isrc"],
        "position": row["position"],
        "duration": row["duration"],
        "artists": row["artists"],
        "file": row["file_path"],
        "file-version": row["file_version"],
        "createdAt": timestamp(row["created_at"]),
    }
    return _resource(urls, "tracks", row["id"], attributes, relationships=_belongs_to(urls, row))


def offer(urls: Urls, row: dict) -> dict[str, Any]:
    attributes = {
        "price": row["price"],
        "currency": row["currency"],
        "territories": row["territories"],
        "start-date": date_timestamp(row["start_date"]),
        "createdAt": timestamp(row["created_at"]),
    }
    return _resource(urls, "offers", row["id"], attributes, relationships=_belongs_to(urls, row))


def right(urls: Urls, row: dict) -> dict[str, Any]:
    # JSON:API forbids an attribute named "type": the right's type is "right-type".
    attributes = {
        "territory": row["territory"],
        "holder": row["holder"],
        "right-type": row["type"],
        "createdAt": timestamp(row["created_at"]),
    }
    return _resource(urls, "rights", row["id"], attributes, relationships=_belongs_to(urls, row))
