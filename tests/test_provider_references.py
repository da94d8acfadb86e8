"""Provider references and provider accounts: the core keeps a purchase's
ids at its payment provider and finds the purchase by any of them, per
organization; it decides which organization a provider's events belong
to; the migration that brings the table in works from an empty database
and from one with purchases, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from piccolo.apps.migrations.commands.forwards import run_forwards

from hub.clock import utcnow
from hub.db import Database
from hub.db.engines import migrating_on
from hub.errors import BadRequest, Invalid
from hub.services.accounts import create_organization
from hub.services.provider_accounts import organization_for
from hub.services.provider_refs import (
    ORDER,
    ProviderRef,
    find_purchase,
    find_purchases,
    record_reference,
    references_of,
)
from hub.tables import ProviderReference, Purchase
from hub.web.health import known_migrations
from tests.conftest import DATABASES
from tests.support.databases import empty_database_url

MIGRATION = "2026-12-01T00:10:00:000000"


@contextlib.asynccontextmanager
async def empty_database(kind: str, tmp_path) -> AsyncIterator[Database]:
    """An empty database of the test's own, open."""
    async with empty_database_url(kind, tmp_path) as url:
        async with Database(url) as db:
            yield db


async def add_purchase(purchase_id: str, org: str = "shop", provider: str = "acme", provider_ref: str = "order-1") -> dict:
    await Purchase.insert(
        Purchase(id=purchase_id, org=org, provider=provider, provider_ref=provider_ref, created_at=utcnow())
    )
    return await Purchase.select().where(Purchase.id == purchase_id).output(load_json=True).first()


@pytest.fixture(params=DATABASES)
async def database(request, tmp_path) -> AsyncIterator[Database]:
    async with empty_database(request.param, tmp_path) as db:
        await db.migrate()
        yield db


# --- provider references ---------------------------------------------------------


async def test_a_purchase_is_found_by_any_of_its_references_within_its_organization(database):
    purchase = await add_purchase("purchase_1")
    await record_reference("shop", "purchase_1", provider="acme", kind=ORDER, reference="order-1")
    await record_reference("shop", "purchase_1", provider="acme", kind="capture", reference="cap-1")
    await record_reference("shop", "purchase_1", provider="acme", kind="capture", reference="cap-1")  # once

    assert (await find_purchase("shop", provider="acme", kind="capture", reference="cap-1"))["id"] == "purchase_1"
    assert (await find_purchase("shop", provider="acme", reference="cap-1"))["id"] == "purchase_1"  # any kind
    assert await find_purchase("shop", provider="acme", kind=ORDER, reference="cap-1") is None
    assert await find_purchase("other-shop", provider="acme", reference="cap-1") is None
    assert await find_purchase("shop", provider="another-pay", reference="cap-1") is None
    assert await references_of(purchase) == [ProviderRef("capture", "cap-1"), ProviderRef(ORDER, "order-1")]
    assert await ProviderReference.count() == 2


async def test_the_first_purchase_to_claim_a_reference_keeps_it(database):
    await add_purchase("purchase_1")
    await add_purchase("purchase_2", provider_ref="order-2")
    await record_reference("shop", "purchase_1", provider="acme", kind="capture", reference="cap-1")
    await record_reference("shop", "purchase_2", provider="acme", kind="capture", reference="cap-1")
    assert [p["id"] for p in await find_purchases("shop", provider="acme", reference="cap-1")] == ["purchase_1"]
    # The same id under another kind is another reference.
    await record_reference("shop", "purchase_2", provider="acme", kind="refund", reference="cap-1")
    found = await find_purchases("shop", provider="acme", reference="cap-1")
    assert [p["id"] for p in found] == ["purchase_1", "purchase_2"]


@pytest.mark.parametrize(
    ("kind", "reference"), [("", "cap-1"), ("k" * 41, "cap-1"), ("capture", ""), ("capture", "c" * 256), ("capture", "a\x00b")]
)
async def test_a_reference_that_does_not_fit_is_refused_and_nothing_is_kept(database, kind, reference):
    await add_purchase("purchase_1")
    with pytest.raises(Invalid, match="provider reference"):
        await record_reference("shop", "purchase_1", provider="acme", kind=kind, reference=reference)
    assert await ProviderReference.count() == 0


# --- the organization of a provider's events ------------------------------------------


async def test_the_organization_is_the_configured_one_or_the_only_one(database):
    with pytest.raises(BadRequest, match=r"acme event is for \(no organization exists yet\): set HUB_ACME_ORG"):
        await organization_for("acme")
    await create_organization("shop")
    assert await organization_for("acme") == "shop"
    await create_organization("other-shop")
    with pytest.raises(BadRequest, match=r"\(this hub has several organizations\): set HUB_ACME_ORG to its id"):
        await organization_for("acme")
    assert await organization_for("acme", "other-shop") == "other-shop"
    with pytest.raises(BadRequest, match="HUB_ACME_PAY_ORG is 'nope', but no organization has that id"):
        await organization_for("acme-pay", "nope")
    with pytest.raises(BadRequest, match="ACME_SHOP is 'nope'"):
        await organization_for("acme", "nope", setting="ACME_SHOP")


# --- the migration ----------------------------------------------------------------


@pytest.mark.parametrize("kind", DATABASES)
async def test_the_migration_builds_the_references_from_an_empty_database(kind, tmp_path):
    async with empty_database(kind, tmp_path) as db:
        await db.migrate()
        tables = {t["tablename"] for t in await db.fetch(_TABLES[db.engine.engine_type])}
        assert "hub_provider_reference" in tables and "hub_purchase_payment" not in tables
        await add_purchase("purchase_1")
        await record_reference("shop", "purchase_1", provider="acme", kind="capture", reference="cap-1")
        # The unique index holds even against a writer that skips the service.
        with pytest.raises(Exception, match="(?i)unique"):
            await ProviderReference.insert(
                ProviderReference(id="ref_x", org="shop", purchase="purchase_1", provider="acme", kind="capture", reference="cap-1")
            )


@pytest.mark.parametrize("kind", DATABASES)
async def test_the_migration_keeps_the_payment_references_of_existing_purchases(kind, tmp_path):
    earlier = sorted(m for m in known_migrations() if m < MIGRATION)[-1]
    async with empty_database(kind, tmp_path) as db:
        await migrate_to(db, earlier)
        for purchase_id, ref in (("purchase_1", "order-1"), ("purchase_2", "order-2")):
            await db.execute(
                'INSERT INTO "hub_purchase" ("id", "org", "provider", "provider_ref", "customer_email", "customer_name", '
                '"items", "amount", "currency", "status", "problem", "metadata", "created_at") '
                "VALUES ({}, 'shop', 'acme', {}, '', '', {}, NULL, '', 'paid', '', {}, {})",
                purchase_id, ref, "[]", "{}", utcnow(),
            )
        # Each purchase's own reference, a capture, and a capture two purchases listed.
        for row_id, purchase_id, ref in (
            ("pay_1", "purchase_1", "order-1"), ("pay_2", "purchase_1", "cap-1"),
            ("pay_3", "purchase_2", "order-2"), ("pay_4", "purchase_1", "cap-shared"), ("pay_5", "purchase_2", "cap-shared"),
        ):
            await db.execute(
                'INSERT INTO "hub_purchase_payment" ("id", "purchase", "org", "provider", "payment_ref") '
                "VALUES ({}, {}, 'shop', 'acme', {})",
                row_id, purchase_id, ref,
            )

        await db.migrate()

        rows = await ProviderReference.select(ProviderReference.purchase, ProviderReference.kind, ProviderReference.reference)
        assert sorted((r["purchase"], r["kind"], r["reference"]) for r in rows) == [
            ("purchase_1", "order", "order-1"),
            ("purchase_1", "payment", "cap-1"),
            ("purchase_1", "payment", "cap-shared"),
            ("purchase_2", "order", "order-2"),
        ]
        assert (await find_purchase("shop", provider="acme", reference="cap-1"))["id"] == "purchase_1"
        assert (await find_purchase("shop", provider="acme", kind=ORDER, reference="order-2"))["id"] == "purchase_2"


async def migrate_to(db: Database, migration_id: str) -> None:
    """Apply the hub's migrations up to ``migration_id`` (an older release's schema)."""
    async with migrating_on(db.engine):
        result = await run_forwards(app_name="hub", migration_id=migration_id)
    assert result.success, result.message


_TABLES = {
    "sqlite": "SELECT name AS tablename FROM sqlite_master WHERE type = 'table'",
    "postgres": "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
}
