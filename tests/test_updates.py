"""Updates for past buyers: update rights, what each link serves, and one
update email per entitled buyer and version (issue 23)."""

from __future__ import annotations

import asyncio
import dataclasses
import email
import email.policy
import re
from datetime import UTC, datetime

import pytest

import hub.testing.products
from hub.plugin_api import hookimpl
from hub.services import update_notices
from hub.services.entitlement import Rights, entitle
from hub.services.purchases import PurchaseIn, PurchaseItem, record_purchase
from hub.services.version_changes import changed_paths
from hub.tables import (
    DownloadToken,
    Event,
    OutboxMessage,
    Product,
    Purchase,
    UpdateNotice,
    UpdatePublication,
    UpdateUnsubscribe,
    Version,
)
from hub.testing.app import hub_client, make_app
from hub.testing.mailbox import CapturedMailbox
from tests.conftest import fails, make_org, ok
from tests.test_my import my_client  # noqa: F401  (the /my fixture: a hub with a captured mailbox)

V1 = {"kick.wav": b"kick drum", "snare.wav": b"snare"}
V2 = {"kick.wav": b"kick drum, punchier", "snare.wav": b"snare", "hat.wav": b"hi-hat"}


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- the rule, on its own -------------------------------------------------------


def released(id_: str, at: str, rights: str = "all", days: int | None = None) -> dict:
    return {"id": id_, "version": id_, "status": "ready", "published_at": day(at), "update_rights": rights,
            "update_days": days}


@pytest.mark.parametrize(
    ("released_at", "covered"),
    [("2027-12-07T23:59:59", True), ("2027-12-08T00:00:00", False), ("2027-12-06T10:00:00", True)],
)
def test_a_window_covers_releases_up_to_its_last_day_inclusive(released_at, covered):
    bought = released("v1", "2026-01-01T00:00:00")
    new = released("v2", released_at, "window", 365)
    entitled = entitle(
        bought=bought, bought_at=day("2026-12-07T18:00:00"), token_created_at=day("2026-12-07T18:00:00"),
        released=[bought, new], rights=Rights("window", 365),
    )
    assert entitled.updates_until.isoformat() == "2027-12-07"
    assert entitled.version["id"] == ("v2" if covered else "v1")
    assert (entitled.newer is None) == covered


def test_rights_none_keep_the_version_bought_and_say_a_newer_one_exists():
    bought = released("v1", "2026-01-01T00:00:00", "none")
    new = released("v2", "2026-02-01T00:00:00", "none")
    entitled = entitle(bought=bought, bought_at=day("2026-01-05T00:00:00"), token_created_at=day("2026-01-05T00:00:00"),
                       released=[bought, new], rights=Rights("none"))
    assert entitled.version["id"] == "v1" and entitled.newer["id"] == "v2" and entitled.earlier == []


def test_a_version_keeps_the_rights_it_was_released_under():
    """Rights changed from all to none later: what was released under all stays given."""
    bought = released("v1", "2026-01-01T00:00:00")
    v2 = released("v2", "2026-02-01T00:00:00", "all")
    v3 = released("v3", "2026-03-01T00:00:00", "none")
    entitled = entitle(bought=bought, bought_at=day("2026-01-05T00:00:00"), token_created_at=day("2026-01-05T00:00:00"),
                       released=[bought, v2, v3], rights=Rights("none"))
    assert entitled.version["id"] == "v2" and [v["id"] for v in entitled.earlier] == ["v1"]
    assert entitled.newer["id"] == "v3"


def test_changed_paths_by_path_and_sha256():
    old = [{"path": "a", "sha256": "1"}, {"path": "b", "sha256": "2"}, {"path": "c", "sha256": "3"}]
    new = [{"path": "a", "sha256": "1"}, {"path": "b", "sha256": "9"}, {"path": "d", "sha256": "4"}]
    changes = changed_paths(old, new)
    assert (changes.added, changes.changed, changes.removed) == (("d",), ("b",), ("c",))
    assert changes.to_fetch == ("b", "d")


# --- the API ----------------------------------------------------------------------


async def test_update_rights_are_set_and_shown_by_the_products_api(client, org):
    created = ok(await client.post("/api/products", json={"name": "Pack", "updateRights": "window", "updateWindowDays": 365},
                                   headers=org.member), 201)["product"]
    assert (created["updateRights"], created["updateWindowDays"]) == ("window", 365)
    fails(await client.patch("/api/products/pack", json={"updateWindowDays": 0}, headers=org.member), 422, "updateWindowDays")
    fails(await client.post("/api/products", json={"name": "P2", "updateRights": "window"}, headers=org.member), 422,
          "updateWindowDays")
    changed = ok(await client.patch("/api/products/pack", json={"updateRights": "none"}, headers=org.member))["product"]
    assert (changed["updateRights"], changed["updateWindowDays"]) == ("none", None)
    listed = ok(await client.get("/api/products", headers=org.member))["products"][0]
    assert listed["updateRights"] == "none"
    fails(await client.patch("/api/products/pack", json={"notify": True}, headers=org.member), 422, "activeVersion")
    # Nothing changed by the refusals.
    assert ok(await client.get("/api/products/pack", headers=org.member))["product"]["updateRights"] == "none"


async def _two_versions(client, org, rights: dict | None = None) -> None:
    await client.post("/api/products", json={"name": "Pack", "slug": "pack", **(rights or {})}, headers=org.member)
    await hub.testing.products.ready_product(client, org.member, "pack", "1.0.0", files=V1)
    await hub.testing.products.ready_product(client, org.member, "pack", "2.0.0", files=V2)


async def _link(client, org) -> str:
    token = ok(await client.post("/api/products/pack/tokens", json={"customerEmail": "fan@example.com"},
                                 headers=org.member), 201)["token"]
    return token["downloadUrl"].removeprefix("http://hub.test")


async def test_an_old_link_serves_the_new_version_and_lists_the_earlier_one(client, org):
    await _two_versions(client, org)
    link = await _link(client, org)  # minted on 1.0.0
    before = ok(await client.get(link, headers={"Accept": "application/json"}))
    assert before["product"]["version"] == "1.0.0"
    released = ok(await client.patch("/api/products/pack", json={"activeVersion": "2.0.0"}, headers=org.member))
    assert released["product"]["activeVersion"]["version"] == "2.0.0"
    version = ok(await client.get("/api/products/pack/versions/2.0.0", headers=org.member))["version"]
    assert version["publishedAt"] is not None

    after = ok(await client.get(link, headers={"Accept": "application/json"}))
    assert after["product"]["version"] == "2.0.0"
    assert sorted(f["path"] for f in after["files"]) == ["hat.wav", "kick.wav", "snare.wav"]
    page = (await client.get(link)).text
    assert "every future version" in page and "Version 1.0.0" in page
    assert "Added: <span class=\"file-name\">hat.wav" in page and "Changed: <span class=\"file-name\">kick.wav" in page
    # The earlier version's file downloads from the same link.
    old_file = re.search(r'href="([^"]+)"[^>]*aria-label="Download kick.wav of version 1.0.0"', page).group(1)
    assert (await client.get(old_file.replace("&amp;", "&").removeprefix("http://hub.test"))).content == b"kick drum"
    new_file = next(f for f in after["files"] if f["path"] == "kick.wav")["url"].removeprefix("http://hub.test")
    assert (await client.get(new_file)).content == b"kick drum, punchier"


async def test_rights_none_keep_the_bought_version_and_the_page_says_a_newer_exists(client, org):
    await _two_versions(client, org, {"updateRights": "none"})
    link = await _link(client, org)
    ok(await client.patch("/api/products/pack", json={"activeVersion": "2.0.0"}, headers=org.member))
    after = ok(await client.get(link, headers={"Accept": "application/json"}))
    assert after["product"]["version"] == "1.0.0"
    page = (await client.get(link)).text
    assert "A newer version (2.0.0) exists" in page and "covers version 1.0.0" in page


async def test_a_window_shows_its_last_day_and_stops_at_it(client, org):
    await _two_versions(client, org, {"updateRights": "window", "updateWindowDays": 30})
    link = await _link(client, org)
    # Bought long ago: the window ended before 2.0.0 is released.
    await DownloadToken.update({DownloadToken.created_at: day("2025-01-10T12:00:00")}, force=True)
    ok(await client.patch("/api/products/pack", json={"activeVersion": "2.0.0"}, headers=org.member))
    page = (await client.get(link)).text
    assert "updates until <strong>9 Feb 2025</strong>" in page
    assert "A newer version (2.0.0) exists" in page
    assert ok(await client.get(link, headers={"Accept": "application/json"}))["product"]["version"] == "1.0.0"


# --- notifying buyers -------------------------------------------------------------


@pytest.fixture
async def mailbox():
    return CapturedMailbox()


@pytest.fixture
async def shop(settings, mailbox):
    """A hub whose worker is inline, with a captured mailbox."""
    app = make_app(settings, plugins=[("mailbox", mailbox), ("published", Published())], entry_points="none")
    async with hub_client(app) as client:
        from tests.conftest import _empty_postgres

        await _empty_postgres(app)
        client.hub = app.state.hub
        yield client


class Published:
    """A plugin that listens to ``version_published`` (so the event is recorded)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    @hookimpl
    def version_published(self, hub, product, version, notified):
        self.calls.append((version["version"], notified))


@pytest.fixture
async def quiet_shop(settings, mailbox):
    """A hub with no worker running: the test runs the fan-out itself."""
    app = make_app(dataclasses.replace(settings, worker="off"), plugins=[("mailbox", mailbox)], entry_points="none")
    async with hub_client(app) as client:
        from tests.conftest import _empty_postgres

        await _empty_postgres(app)
        client.hub = app.state.hub
        yield client


async def _sell(client, org_id: str, buyers: list[str], *, status: str = "paid") -> None:
    for number, address in enumerate(buyers):
        await record_purchase(
            client.hub,
            PurchaseIn(org=org_id, provider="api", provider_ref=f"order-{address}-{number}", customer_email=address,
                       customer_name="", items=[PurchaseItem("pack")]),
        )


async def _shop_with_buyers(client, buyers: list[str]):
    org = await make_org("drum-shop")
    named = await client.patch("/api/organization", json={"name": "Drum Shop", "supportEmail": "help@drum-shop.example"},
                               headers=org.admin)
    assert named.status_code == 200, named.text
    await client.post("/api/products", json={"name": "Drum Pack", "slug": "pack"}, headers=org.member)
    await hub.testing.products.ready_product(client, org.member, "pack", "1.0.0", files=V1)
    await _sell(client, org.id, buyers)
    await hub.testing.products.ready_product(client, org.member, "pack", "2.0.0", files=V2)
    return org


def plain_text(data: bytes) -> str:
    """The plain-text body of a queued message, as a mail client shows it."""
    return email.message_from_bytes(data, policy=email.policy.default).get_body(("plain",)).get_content()


def update_emails(mailbox) -> list:
    return [m for m in mailbox.messages if "is out" in m["Subject"]]


async def test_publishing_with_notify_emails_each_entitled_buyer_once(shop, mailbox):
    buyers = ["a@example.com", "b@example.com", "refunded@example.com", "held@example.com", "gone@example.com"]
    org = await _shop_with_buyers(shop, buyers)
    await mailbox.wait_for(len(buyers))  # the delivery emails
    await Purchase.update({Purchase.status: "refunded"}).where(Purchase.customer_email == "refunded@example.com")
    await Purchase.update({Purchase.status: "on_hold"}).where(Purchase.customer_email == "held@example.com")
    await UpdateUnsubscribe.insert(UpdateUnsubscribe(id="u1", org=org.id, email="gone@example.com",
                                                     created_at=datetime.now(UTC)))
    answer = ok(await shop.patch("/api/products/pack", json={"activeVersion": "2.0.0", "notify": True,
                                                            "note": "Punchier kick!"}, headers=org.member))
    assert answer["product"]["activeVersion"]["version"] == "2.0.0"
    # A replay of the same request changes nothing.
    ok(await shop.patch("/api/products/pack", json={"activeVersion": "2.0.0", "notify": True}, headers=org.member))
    await mailbox.wait_for(len(buyers) + 2)
    for _ in range(50):
        publication = await UpdatePublication.select().first()
        if publication["status"] == "done":
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)
    sent = update_emails(mailbox)
    assert sorted(m["To"] for m in sent) == ["a@example.com", "b@example.com"]
    message = sent[0]
    body = message.get_content()
    assert "Punchier kick!" in body and "version 2.0.0" in body
    assert "+ added: hat.wav" in body and "* changed: kick.wav" in body
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # In the shop's name, never its id: subject, Reply-To, body (the From
    # display name follows the same Shop as delivery emails: test_shop_identity).
    assert "Drum Shop" in message["Subject"]
    assert message["Reply-To"] == "help@drum-shop.example"
    assert "drum-shop" not in message["Subject"] + body.replace("help@drum-shop.example", "")
    unsubscribe = re.match(r"<http://hub.test(/updates/unsubscribe\?u=\S+)>", message["List-Unsubscribe"]).group(1)
    assert publication["buyers"] == 2 and publication["queued"] == 2
    events = await Event.select().where(Event.type == "version_published").output(load_json=True)
    assert len(events) == 1 and events[0]["payload"]["notified"] == 2
    progress = await update_notices.progress(shop.hub, publication["version"])
    assert progress["sent"] == 2 and progress["failed"] == 0

    # One-click unsubscribe (RFC 8058): a POST with no cookie.
    done = await shop.post(unsubscribe, content=b"List-Unsubscribe=One-Click",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200 and "no more update emails from Drum Shop" in done.text
    assert await UpdateUnsubscribe.count().where(UpdateUnsubscribe.email == message["To"]) == 1
    again = await shop.post(unsubscribe)
    assert again.status_code == 200
    assert (await shop.post("/updates/unsubscribe?u=forged")).status_code == 404


async def test_a_fan_out_cut_off_mid_way_resumes_without_duplicates(quiet_shop, mailbox):
    buyers = [f"buyer{n:02d}@example.com" for n in range(7)]
    org = await _shop_with_buyers(quiet_shop, buyers)
    hub_ = quiet_shop.hub
    ok(await quiet_shop.patch("/api/products/pack", json={"activeVersion": "2.0.0", "notify": True}, headers=org.member))
    original = update_notices.BATCH
    update_notices.BATCH = 3
    try:
        [claimed] = await update_notices.PUBLICATIONS.claim(hub_, limit=1)
        assert not await update_notices.fan_out(hub_, claimed, batches=1)  # "killed" after one batch
        assert await UpdateNotice.count() == 3
        # A batch redone after a crash (its cursor rolled back) queues nothing twice.
        await UpdatePublication.update({UpdatePublication.cursor: ""}).where(UpdatePublication.id == claimed["id"])
        # Two workers race for what is left: the lease keeps one out; both ending changes nothing.
        await UpdatePublication.update({UpdatePublication.claimed_until: datetime(2000, 1, 1, tzinfo=UTC)}).where(
            UpdatePublication.id == claimed["id"]
        )
        first, second = await asyncio.gather(update_notices.fan_out_due(hub_), update_notices.fan_out_due(hub_))
        assert first + second == 1
        await update_notices.fan_out_due(hub_)
    finally:
        update_notices.BATCH = original
    publication = await UpdatePublication.select().first()
    assert publication["status"] == "done" and publication["buyers"] == 7
    assert await UpdateNotice.count() == 7
    assert await OutboxMessage.count().where(OutboxMessage.kind == "update") == 7
    recipients = await OutboxMessage.select(OutboxMessage.recipient).where(OutboxMessage.kind == "update")
    assert sorted(r["recipient"] for r in recipients) == buyers


async def test_rights_changed_later_apply_from_then_on(quiet_shop, mailbox):
    org = await _shop_with_buyers(quiet_shop, ["a@example.com"])
    ok(await quiet_shop.patch("/api/products/pack", json={"updateRights": "none"}, headers=org.member))
    ok(await quiet_shop.patch("/api/products/pack", json={"activeVersion": "2.0.0", "notify": True}, headers=org.member))
    version = await Version.select().where(Version.version == "2.0.0").first()
    assert version["update_rights"] == "none"
    product = await Product.select().output(load_json=True).first()
    assert await update_notices.count_entitled(quiet_shop.hub, product, version["id"]) == 0
    await update_notices.fan_out_due(quiet_shop.hub)
    assert await UpdateNotice.count() == 0


async def test_my_page_shows_the_version_each_purchase_serves_now(my_client, mailbox):
    from hub.testing.app import make_org as make_org_headers
    from tests.test_my import Keys, sign_in

    keys = Keys(await make_org_headers("drum-shop"))
    await hub.testing.products.ready_product(my_client, keys.member, "pack", "1.0.0", files=V1)
    await record_purchase(
        my_client.hub,
        PurchaseIn(org="drum-shop", provider="api", provider_ref="order-1", customer_email="buyer@example.com",
                   items=[PurchaseItem("pack")]),
    )
    await mailbox.wait_for(1)
    await hub.testing.products.ready_product(my_client, keys.member, "pack", "2.0.0", files=V2)
    ok(await my_client.patch("/api/products/pack", json={"activeVersion": "2.0.0"}, headers=keys.admin))
    await sign_in(my_client, mailbox)
    page = (await my_client.get("/my")).text
    assert "version 2.0.0" in page and "version 1.0.0" not in page


async def test_what_changed_counts_from_the_version_the_buyer_last_downloaded(quiet_shop, mailbox):
    org = await _shop_with_buyers(quiet_shop, ["a@example.com"])
    [delivery] = await OutboxMessage.select().where(OutboxMessage.kind == "delivery")
    text = plain_text(quiet_shop.hub.sealer.open(delivery["sealed_body"]))
    link = re.search(r"http://hub.test(/download\?token=\S+)", text).group(1)
    page = ok(await quiet_shop.get(link, headers={"Accept": "application/json"}))
    assert page["product"]["version"] == "1.0.0"
    kick = next(f for f in page["files"] if f["path"] == "kick.wav")["url"].removeprefix("http://hub.test")
    assert (await quiet_shop.get(kick)).content == b"kick drum"  # downloaded 1.0.0
    ok(await quiet_shop.patch("/api/products/pack", json={"activeVersion": "2.0.0"}, headers=org.member))
    v3 = {**V2, "snare.wav": b"snare v3"}
    await hub.testing.products.ready_product(quiet_shop, org.member, "pack", "3.0.0", files=v3)
    ok(await quiet_shop.patch("/api/products/pack", json={"activeVersion": "3.0.0", "notify": True}, headers=org.member))
    await update_notices.fan_out_due(quiet_shop.hub)
    [update] = await OutboxMessage.select().where(OutboxMessage.kind == "update")
    body = plain_text(quiet_shop.hub.sealer.open(update["sealed_body"]))
    assert "since 1.0.0" in body and "+ added: hat.wav" in body
    assert "* changed: kick.wav" in body and "* changed: snare.wav" in body


async def test_a_new_version_does_not_reset_a_links_download_count(client, org):
    await _two_versions(client, org)
    token = ok(await client.post("/api/products/pack/tokens", json={"customerEmail": "fan@example.com", "maxDownloads": 1},
                                 headers=org.member), 201)["token"]
    link = token["downloadUrl"].removeprefix("http://hub.test")
    listing = ok(await client.get(link, headers={"Accept": "application/json"}))
    first = listing["files"][0]["url"].removeprefix("http://hub.test")
    assert (await client.get(first)).status_code == 200  # the one download, spent
    ok(await client.patch("/api/products/pack", json={"activeVersion": "2.0.0"}, headers=org.member))
    # The same browser (its session cookie) still sees its page, now of 2.0.0, with nothing left to spend.
    after = ok(await client.get(link, headers={"Accept": "application/json"}))
    assert after["product"]["version"] == "2.0.0" and (after["usedCount"], after["downloadsLeft"]) == (1, 0)
    token_row = await DownloadToken.select(DownloadToken.used_count).where(DownloadToken.id == token["id"]).first()
    assert token_row["used_count"] == 1
