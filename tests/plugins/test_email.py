"""The email plugin: the delivery and sign-in emails as a buyer reads them,
a shop's own templates, and delivery over a real SMTP server on loopback."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from continuata_plugins.email.smtp import SmtpMailer, mailer_from_settings, parse_smtp_url
from hub.app import build_hub
from hub.email_samples import SAMPLE_CONTEXTS, preview
from hub.emails import UnknownEmailTemplate, render_email
from hub.errors import Invalid
from hub.plugins import RenderedEmail, load_plugins
from hub.plugins.hookspecs import hookimpl
from hub.services.outbox import build_message, deliver_due, queue_email
from hub.services.purchases import PurchaseIn, PurchaseItem, record_purchase
from hub.settings import SettingsError
from hub.tables import OutboxMessage
from hub.testing.app import hub_client, make_app, settings_for_tests
from hub.testing.smtp import parse_received, smtp_server
from tests.conftest import PUBLIC_URL, ok
from tests.support.hubs import SHOP_FROM, app, settings, smtp  # noqa: F401  (fixtures)
from tests.test_tokens_api import ready_product

BUYER = "buyer@example.com"


def delivery_context(*, only_one: bool = False, **item_changes) -> dict:
    """The sample delivery context, its first product changed by ``item_changes``."""
    context = {**SAMPLE_CONTEXTS["delivery"]}
    first, *others = context["items"]
    context["items"] = [{**first, **item_changes}, *([] if only_one else others)]
    return context


async def render(tmp_path: Path, template: str, context: dict, templates_dir: Path | None = None) -> RenderedEmail:
    """As the core renders an email, in a hub that loads the email plugin."""
    hub = build_hub(
        settings_for_tests(tmp_path / "data", templates_dir=templates_dir), plugins=load_plugins("email")
    )
    return await render_email(hub, template, context)


def as_received(message) -> EmailMessage:
    """The message as a mail client reads it off the wire."""
    return parse_received(message.as_bytes())


# --- rendering ------------------------------------------------------------------


async def test_delivery_email_lists_each_product_with_its_link_expiry_and_limit(tmp_path):
    context = SAMPLE_CONTEXTS["delivery"]
    rendered = await render(tmp_path, "delivery", context)
    assert rendered.subject == "Your 2 downloads from Sample Audio Co."
    for body in (rendered.text, rendered.html):
        assert "Epic Drum Kit Vol. 1" in body and "1.2.0" in body
        assert "2.0.0" in body
        for item in context["items"]:
            assert item["url"] in body
        assert "13 April 2026, 09:30 UTC" in body
        assert "Up to 5 downloads" in body and "Unlimited downloads" in body
        assert context["my_url"] in body
        assert "ada@example.com" in body
    assert "Analog Pads & Textures" in rendered.text
    assert "Analog Pads &amp; Textures" in rendered.html
    assert rendered.html.lstrip().startswith("<!doctype html>")
    assert "<style" not in rendered.html  # every style is inline: mail clients drop <style>


async def test_delivery_subject_names_the_product_when_there_is_one(tmp_path):
    rendered = await render(tmp_path, "delivery", delivery_context(only_one=True))
    assert rendered.subject == "Your download from Sample Audio Co.: Epic Drum Kit Vol. 1"
    assert "Your download from Sample Audio Co. is ready" in rendered.text


async def test_signin_email_carries_the_one_time_link(tmp_path):
    context = SAMPLE_CONTEXTS["signin"]
    rendered = await render(tmp_path, "signin", context)
    assert rendered.subject == "Your sign-in link to your downloads from Sample Audio Co."
    for body in (rendered.text, rendered.html):
        assert context["url"] in body
        assert "expires in 30 minutes" in body
        assert "ada@example.com" in body


async def test_html_is_escaped_and_text_and_subject_are_not(tmp_path):
    name = '<script>alert("x")</script> & Co'
    rendered = await render(tmp_path, "delivery", delivery_context(only_one=True, product=name))
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in rendered.html
    assert name in rendered.text
    assert rendered.subject.endswith(name)


async def test_a_name_with_a_line_break_stays_on_the_subject_line(tmp_path):
    context = delivery_context(only_one=True, product="Drums\r\nBcc: evil@example.com")
    rendered = await render(tmp_path, "delivery", context)
    assert rendered.subject == "Your download from Sample Audio Co.: Drums Bcc: evil@example.com"
    message = as_received(build_message(BUYER, rendered))
    assert message["Bcc"] is None
    assert message["To"] == BUYER


async def test_the_shops_templates_win_over_the_built_in_ones(tmp_path):
    shop = tmp_path / "shop-templates"
    (shop / "email").mkdir(parents=True)
    (shop / "email" / "delivery.subject.txt").write_text("{{ shop }} :: your files\n")
    (shop / "email" / "delivery.html").write_text(
        '{% extends "email/layout.html" %}{% block content %}<p>Custom {{ items[0].product }}</p>{% endblock %}'
    )
    rendered = await render(tmp_path, "delivery", delivery_context(product="Kit <1>"), templates_dir=shop)
    assert rendered.subject == "Sample Audio Co. :: your files"
    assert "<p>Custom Kit &lt;1&gt;</p>" in rendered.html
    assert "Delivered by Continuata Hub" in rendered.html  # the built-in layout, extended
    assert "Kit <1> (version 1.2.0)" in rendered.text  # no text override: the built-in one


async def test_a_broken_shop_template_falls_back_to_the_built_in_one(tmp_path, caplog):
    shop = tmp_path / "shop-templates"
    (shop / "email").mkdir(parents=True)
    (shop / "email" / "delivery.txt").write_text("Hi {{ purchase.customer_name | no_such_filter }}\n")
    with caplog.at_level(logging.ERROR, logger="hub.email"):
        rendered = await render(tmp_path, "delivery", SAMPLE_CONTEXTS["delivery"], templates_dir=shop)
    assert "Epic Drum Kit Vol. 1 (version 1.2.0)" in rendered.text
    assert "failed to render" in caplog.text and "HUB_TEMPLATES_DIR" in caplog.text


async def test_an_email_no_plugin_and_no_template_knows_is_an_error(tmp_path):
    with pytest.raises(UnknownEmailTemplate, match="newsletter"):
        await render(tmp_path, "newsletter", {})


async def test_an_email_without_templates_is_left_to_other_plugins(tmp_path):
    class Newsletters:
        @hookimpl
        def render_email(self, template, context):
            return RenderedEmail(subject="News", text=f"{context['headline']}\n") if template == "newsletter" else None

    hub = build_hub(settings_for_tests(tmp_path / "data"), plugins=load_plugins("email", extra=[("news", Newsletters())]))
    rendered = await render_email(hub, "newsletter", {"headline": "Spring sale"})
    assert (rendered.subject, rendered.text) == ("News", "Spring sale\n")


async def test_preview_renders_each_email_with_sample_data(tmp_path):
    hub = build_hub(settings_for_tests(tmp_path / "data"), plugins=load_plugins("none"))
    for template in ("delivery", "signin"):
        rendered = await preview(hub, template)
        assert rendered.subject and rendered.html and PUBLIC_URL in rendered.text
    with pytest.raises(ValueError, match="delivery, signin"):
        await preview(hub, "nope")


# --- the MIME message -----------------------------------------------------------


async def test_message_is_multipart_alternative_with_text_first(tmp_path):
    context = delivery_context(product="Grüße – Loops")
    rendered = await render(tmp_path, "delivery", context)
    message = as_received(build_message(BUYER, rendered))
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert message.get_body(("plain",)).get_content() == rendered.text
    assert message.get_body(("html",)).get_content() == rendered.html
    assert message["Subject"] == rendered.subject
    assert message["Message-ID"]


@pytest.mark.parametrize(
    ("recipient", "subject"),
    [
        (BUYER, "Your files\r\nBcc: evil@example.com"),
        (BUYER, "Your files\nBcc: evil@example.com"),
        ("buyer@example.com\r\nBcc: evil@example.com", "Your files"),
        ("buyer@example.com\nBcc: evil@example.com", "Your files"),
        ("evil@example.com, buyer@example.com", "Your files"),
    ],
)
def test_cr_lf_in_a_subject_or_recipient_cannot_add_a_header(recipient, subject):
    with pytest.raises(Invalid) as refused:
        build_message(recipient, RenderedEmail(subject=subject, text="links"))
    assert refused.value.status_code == 422


async def test_an_unsendable_recipient_queues_nothing(tmp_path, database_url):
    settings = settings_for_tests(tmp_path / "data", database_url=database_url, worker="off")
    app = make_app(settings, entry_points="email")
    async with hub_client(app):
        hub = app.state.hub
        await OutboxMessage.delete(force=True)
        with pytest.raises(Invalid):
            await queue_email(
                hub, org="o", kind="delivery", recipient="a@example.com\r\nBcc: evil@example.com",
                rendered=RenderedEmail("Hi", "links"),
            )
        assert await OutboxMessage.count() == 0


# --- the SMTP mailer --------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://user:pass@smtp.example.com:587?starttls=1",
         dict(hostname="smtp.example.com", port=587, username="user", password="pass", use_tls=False, start_tls=True)),
        ("smtps://user:pass@smtp.example.com:465",
         dict(hostname="smtp.example.com", port=465, use_tls=True, start_tls=False)),
        ("smtp://relay.internal:25", dict(hostname="relay.internal", port=25, username=None, password=None, start_tls=None)),
        ("smtp://relay.internal", dict(port=25, start_tls=None, timeout=30.0)),
        ("smtp://u@relay.internal?starttls=1", dict(port=587, username="u", password=None)),
        ("smtps://mail.example.com", dict(port=465)),
        ("smtp://relay.internal?starttls=0&timeout=2.5", dict(start_tls=False, timeout=2.5)),
        ("smtp://relay.internal", dict(concurrency=4)),
        ("smtp://relay.internal?concurrency=1", dict(concurrency=1)),
        ("smtp://relay.internal?timeout=5&concurrency=50", dict(concurrency=50, timeout=5.0)),
        ("smtp://apikey%40shop.example:p%3Ass%2Fw%40rd%25@smtp.example.com:2525",
         dict(username="apikey@shop.example", password="p:ss/w@rd%", port=2525)),
        ("smtp://[::1]:2525", dict(hostname="::1", port=2525)),
    ],
)
def test_smtp_url_forms(url, expected):
    config = parse_smtp_url(url)
    for name, value in expected.items():
        assert getattr(config, name) == value, name


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://smtp.example.com", "smtp:// or smtps://"),
        ("smtp://", "no host"),
        ("smtp://smtp.example.com:99999", "not a valid URL"),
        ("smtp://smtp.example.com?tls=1", "unknown options"),
        ("smtp://smtp.example.com?starttls=maybe", "starttls must be"),
        ("smtps://smtp.example.com?starttls=1", "TLS already"),
        ("smtp://smtp.example.com?timeout=0", "timeout"),
        ("smtp://smtp.example.com?concurrency=0", "concurrency must be a whole number from 1 to 50, not '0'"),
        ("smtp://smtp.example.com?concurrency=51", "concurrency must be"),
        ("smtp://smtp.example.com?concurrency=two", "concurrency must be"),
        ("smtp://smtp.example.com?concurrency=%C2%B2", "concurrency must be"),
        ("smtp://smtp.example.com/path", "no path"),
    ],
)
def test_bad_smtp_urls_fail_at_start_up_with_a_clear_message(url, fragment):
    with pytest.raises(SettingsError, match=re.escape(fragment)):
        parse_smtp_url(url)


def test_an_smtp_url_error_never_shows_the_password():
    with pytest.raises(SettingsError) as refused:
        parse_smtp_url("smtp://user:hunter2@smtp.example.com?oops=1")
    with pytest.raises(SettingsError) as refused_too:
        parse_smtp_url("http://user:hunter2@smtp.example.com")
    assert "hunter2" not in str(refused.value) + str(refused_too.value)
    assert "hunter2" not in repr(parse_smtp_url("smtp://user:hunter2@smtp.example.com"))


def test_no_smtp_url_means_no_mailer_and_a_sender_is_required_with_one(caplog):
    assert mailer_from_settings({}) is None
    with pytest.raises(SettingsError, match="HUB_MAIL_FROM"):
        mailer_from_settings({"HUB_SMTP_URL": "smtp://relay.internal"})
    for sender in ("not an address", "a@example.com\r\nBcc: evil@example.com", "a@example.com, b@example.com"):
        with pytest.raises(SettingsError, match="HUB_MAIL_FROM"):
            mailer_from_settings({"HUB_SMTP_URL": "smtp://relay.internal", "HUB_MAIL_FROM": sender})
    mailer = mailer_from_settings({"HUB_SMTP_URL": "smtp://relay.internal", "HUB_MAIL_FROM": SHOP_FROM})
    assert isinstance(mailer, SmtpMailer) and mailer.mail_from == SHOP_FROM


async def test_the_hub_without_smtp_url_keeps_email_queued(tmp_path):
    app = make_app(settings_for_tests(tmp_path / "data"), entry_points="email")
    # Litestar's logging set-up replaces the root handlers (caplog's among
    # them) when an app is built, so listen on the plugin's logger itself.
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("hub.email").addHandler(handler)
    try:
        async with hub_client(app):
            assert app.state.hub.mailer is None
    finally:
        logging.getLogger("hub.email").removeHandler(handler)
    assert [r.getMessage() for r in records] == [
        "HUB_SMTP_URL is not set: emails are queued in the outbox and sent once it is"
    ]


async def test_smtp_mailer_logs_in_with_percent_decoded_credentials_and_sets_from():
    with smtp_server(credentials=("apikey@shop.example", "p:ss/w@rd")) as server:
        assert "apikey%40shop.example:p%3Ass%2Fw%40rd@" in server.url
        mailer = mailer_from_settings({"HUB_SMTP_URL": server.url + "?timeout=5", "HUB_MAIL_FROM": SHOP_FROM})
        await mailer.send(build_message(BUYER, RenderedEmail("Hello", "Your links")))
        [message] = await server.wait_for(1)
        [envelope] = server.envelopes
    assert envelope.login == "apikey@shop.example"
    assert envelope.mail_from == "shop@audio.example" and envelope.rcpt_tos == [BUYER]
    assert message["From"] == SHOP_FROM and message["To"] == BUYER and message["Date"]
    assert message.get_content() == "Your links\n"


async def test_smtp_mailer_sends_a_finished_message_as_bytes_with_its_envelope():
    with smtp_server(credentials=("apikey@shop.example", "p:ss/w@rd")) as server:
        mailer = mailer_from_settings({"HUB_SMTP_URL": server.url + "?timeout=5", "HUB_MAIL_FROM": SHOP_FROM})
        message = build_message(BUYER, RenderedEmail("Hello", "Your links \u2014 caf\u00e9"), message_id="<msg_1@hub.example>")
        message["From"] = SHOP_FROM
        message["Date"] = "Mon, 01 Dec 2025 00:00:00 +0000"
        await mailer.send_bytes(message.as_bytes(), sender="shop@audio.example", recipients=[BUYER])
        [received] = await server.wait_for(1)
        [envelope] = server.envelopes
    assert envelope.login == "apikey@shop.example"
    assert envelope.mail_from == "shop@audio.example" and envelope.rcpt_tos == [BUYER]
    assert received["From"] == SHOP_FROM and received["Message-ID"] == "<msg_1@hub.example>"
    assert received.get_content() == "Your links \u2014 caf\u00e9\n"


async def test_smtp_mailer_fails_on_wrong_credentials():
    with smtp_server(credentials=("user", "right")) as server:
        url = server.url.replace(":right@", ":wrong@")
        mailer = mailer_from_settings({"HUB_SMTP_URL": url, "HUB_MAIL_FROM": SHOP_FROM})
        with pytest.raises(Exception, match="(?i)auth"):
            await mailer.send(build_message(BUYER, RenderedEmail("Hello", "Your links")))
        assert server.received() == []


async def test_required_starttls_never_falls_back_to_clear_text():
    with smtp_server(credentials=("user", "secret")) as server:
        mailer = mailer_from_settings({"HUB_SMTP_URL": server.url + "?starttls=1", "HUB_MAIL_FROM": SHOP_FROM})
        with pytest.raises(Exception, match="(?i)starttls"):
            await mailer.send(build_message(BUYER, RenderedEmail("Hello", "Your links")))
        assert server.received() == [] and server.envelopes == []


async def test_smtp_server_helper_restarts_on_the_same_port():
    with smtp_server() as server:
        port = server.port
        server.stop()
        mailer = mailer_from_settings({"HUB_SMTP_URL": server.url + "?timeout=2", "HUB_MAIL_FROM": SHOP_FROM})
        with pytest.raises(OSError):  # aiosmtplib's SMTPConnectError is an OSError: connection refused
            await mailer.send(build_message(BUYER, RenderedEmail("Hello", "down")))
        server.start()
        assert server.port == port
        await mailer.send(build_message(BUYER, RenderedEmail("Hello", "up")))
        assert [m.get_content() for m in await server.wait_for(1)] == ["up\n"]


# --- end to end: a purchase, an email over SMTP, a download -------------------------


async def test_a_purchase_emails_working_download_links_over_smtp(client, org, app, smtp):
    await ready_product(client, org)
    hub = app.state.hub
    await record_purchase(
        hub,
        PurchaseIn(
            org=org.id, provider="api", provider_ref="order-1001", customer_email=BUYER,
            customer_name="Ada", items=[PurchaseItem("epic-drums-v1")],
        ),
    )
    [message] = await smtp.wait_for(1)
    assert smtp.envelopes[0].rcpt_tos == [BUYER]
    assert message["To"] == BUYER and message["From"] == SHOP_FROM
    assert message["Subject"] == "Your download from hub.test: Epic Drum Kit Vol. 1"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hi Ada," in text and "Order reference: order-1001" in text
    [link] = re.findall(r"^Download: (\S+)$", text, flags=re.MULTILINE)
    assert link.startswith(f"{PUBLIC_URL}/download?token=ct_download_")
    assert f'href="{link}"' in html
    assert f"{PUBLIC_URL}/my" in text

    page = ok(await client.get(link, headers={"Accept": "application/json"}))
    assert page["product"] == {"id": "epic-drums-v1", "name": "Epic Drum Kit Vol. 1", "version": "1.0.0"}
    [file] = page["files"]
    assert file["path"] == "kick.wav"
    download = await client.get(file["url"])
    assert download.status_code == 200 and download.content == b"kick drum"

    row = await OutboxMessage.select().first()
    assert row["status"] == "sent" and row["attempts"] == 1 and row["last_error"] == ""
    await record_purchase(  # the same order again: no second email
        hub,
        PurchaseIn(org=org.id, provider="api", provider_ref="order-1001", customer_email=BUYER, items=[PurchaseItem("epic-drums-v1")]),
    )
    assert await deliver_due(hub) == 0
    assert len(smtp.received()) == 1


class ParsingOnly:
    """The same mailer without ``send_bytes``: the outbox parses each message."""

    def __init__(self, mailer) -> None:
        self.mailer = mailer
        self.used: list[str] = []

    async def send(self, message) -> None:
        self.used.append("send")
        await self.mailer.send(message)


class Unparsed(ParsingOnly):
    """The same mailer, noting which of its two ways each message took."""

    async def send_bytes(self, data: bytes, **envelope) -> None:
        self.used.append("send_bytes")
        await self.mailer.send_bytes(data, **envelope)


async def test_a_message_sent_unparsed_reads_as_the_parsed_one_with_one_from_date_and_its_message_id(client, org, app, smtp):
    hub = app.state.hub
    rendered = RenderedEmail("Your links from B\u00fctik", "Hi Ada \u2014 here they are", "<p>Hi Ada &mdash;</p>")
    smart = hub.mailer
    hub.mailer = unparsed_only = Unparsed(smart)
    try:
        ids = [await queue_email(hub, org=org.id, kind="delivery", recipient=BUYER, rendered=rendered) for _ in range(2)]
        await smtp.wait_for(2)
        while await OutboxMessage.count().where(OutboxMessage.status == "sent") < 2:
            await asyncio.sleep(0.01)  # the worker marks a message sent after the server took it
        hub.mailer = parsing_only = ParsingOnly(smart)
        await OutboxMessage.update({OutboxMessage.status: "pending"}).where(OutboxMessage.id == ids[1])
        hub.outbox_wakeup.set()
        await smtp.wait_for(3)  # the second again, parsed
    finally:
        hub.mailer = smart
    assert unparsed_only.used == ["send_bytes", "send_bytes"] and parsing_only.used == ["send"]
    by_id = {m["Message-ID"]: m for m in smtp.received()[:2]}
    unparsed, parsed = by_id[f"<{ids[0]}@hub.test>"], smtp.received()[2]
    for message, outbox_id in ((unparsed, ids[0]), (parsed, ids[1])):
        assert message.get_all("From") == [SHOP_FROM] and len(message.get_all("Date")) == 1
        assert message.get_all("Message-ID") == [f"<{outbox_id}@hub.test>"]
    # Each message has its own MIME boundary; everything else reads the same.
    headers = [sorted((k, v) for k, v in m.items() if k not in {"Date", "Message-ID", "Content-Type"}) for m in (unparsed, parsed)]
    assert headers[0] == headers[1] and unparsed.get_content_type() == parsed.get_content_type() == "multipart/alternative"
    assert unparsed.get_body(("plain",)).get_content() == parsed.get_body(("plain",)).get_content()
    assert unparsed.get_body(("html",)).get_content() == parsed.get_body(("html",)).get_content()
    assert [e.mail_from for e in smtp.envelopes] == ["shop@audio.example"] * 3
    assert [e.rcpt_tos for e in smtp.envelopes] == [[BUYER]] * 3


async def test_a_product_name_cannot_smuggle_a_header_into_the_sent_email(client, org, app, smtp):
    ok(
        await client.post(
            "/api/products",
            json={"name": "Drums\r\nBcc: evil@example.com", "slug": "epic-drums-v1"},
            headers=org.member,
        ),
        201,
    )
    await ready_product(client, org)
    await record_purchase(
        app.state.hub,
        PurchaseIn(org=org.id, provider="api", provider_ref="o-2", customer_email=BUYER, items=[PurchaseItem("epic-drums-v1")]),
    )
    [message] = await smtp.wait_for(1)
    assert smtp.envelopes[0].rcpt_tos == [BUYER]
    assert message["Bcc"] is None and "evil@example.com" not in message["To"]
    assert message["Subject"] == "Your download from hub.test: Drums Bcc: evil@example.com"


async def test_a_buyer_sign_in_link_arrives_over_smtp(client, org, app, smtp):
    from hub.services.buyers import request_sign_in

    await ready_product(client, org)
    hub = app.state.hub
    await record_purchase(
        hub,
        PurchaseIn(org=org.id, provider="api", provider_ref="o-3", customer_email=BUYER, items=[PurchaseItem("epic-drums-v1")]),
    )
    await smtp.wait_for(1)
    await request_sign_in(hub, BUYER, "198.51.100.1")
    [_, message] = await smtp.wait_for(2)
    assert message["Subject"] == "Your sign-in link to your downloads from hub.test"
    text = message.get_body(("plain",)).get_content()
    assert re.search(rf"^{re.escape(PUBLIC_URL)}/my/sign-in\?token=ct_signin_\S+$", text, flags=re.MULTILINE)


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_the_outbox_sends_over_as_many_connections_at_once_as_the_smtp_url_allows(database_url, tmp_path, concurrency):
    with smtp_server() as server:
        server.data_delay = 0.05  # a relay that takes its time: sends overlap only when sent at once
        settings = settings_for_tests(
            tmp_path / "data", database_url=database_url, worker="off",
            extra={"HUB_SMTP_URL": f"{server.url}?concurrency={concurrency}", "HUB_MAIL_FROM": SHOP_FROM},
        )
        app = make_app(settings, entry_points="email")
        async with hub_client(app):
            hub = app.state.hub
            for n in range(7):
                await queue_email(
                    hub, org="shop", kind="test", recipient=f"buyer{n}@example.com",
                    rendered=RenderedEmail(f"Message {n}", "Body"),
                )
            assert await deliver_due(hub) == 7
            received = server.received()
            rows = await OutboxMessage.select(OutboxMessage.status)
    assert sorted(m["Subject"] for m in received) == [f"Message {n}" for n in range(7)]
    assert [r["status"] for r in rows] == ["sent"] * 7
    assert server.most_at_once == concurrency


# --- permanent and temporary refusals ----------------------------------------------

GONE = "gone@example.com"
BUSY = "busy@example.com"
CLOSING = "closing@example.com"
REFUSALS = {
    GONE: "550 5.1.1 <gone@example.com>: Recipient address rejected: User unknown",
    BUSY: "451 4.3.0 Mailbox busy, try again later",
    CLOSING: "421 4.7.0 Too many connections, closing",
}


async def test_smtp_mailer_raises_a_5xx_refusal_as_permanent_with_the_relays_words():
    from hub.errors import PermanentDeliveryError

    with smtp_server() as server:
        server.refusals.update(REFUSALS)
        mailer = mailer_from_settings({"HUB_SMTP_URL": server.url + "?timeout=5", "HUB_MAIL_FROM": SHOP_FROM})
        sends = {
            "send": lambda to: mailer.send(build_message(to, RenderedEmail("Hello", "Your links"))),
            "send_bytes": lambda to: mailer.send_bytes(
                build_message(to, RenderedEmail("Hello", "Your links")).as_bytes(), sender="shop@audio.example", recipients=[to]
            ),
        }
        for name, send in sends.items():
            with pytest.raises(PermanentDeliveryError) as refused:
                await send(GONE)
            assert "550 5.1.1" in str(refused.value) and "User unknown" in str(refused.value), name
            for temporary in (BUSY, CLOSING):
                with pytest.raises(Exception) as problem:
                    await send(temporary)
                assert not isinstance(problem.value, PermanentDeliveryError), (name, temporary, problem.value)
        assert server.received() == []


async def test_the_outbox_fails_a_permanently_refused_email_at_once_and_retries_a_temporary_one(database_url, tmp_path):
    with smtp_server() as server:
        server.refusals.update(REFUSALS)
        settings = settings_for_tests(
            tmp_path / "data", database_url=database_url, worker="off",
            extra={"HUB_SMTP_URL": server.url, "HUB_MAIL_FROM": SHOP_FROM},
        )
        app = make_app(settings, entry_points="email")
        async with hub_client(app):
            hub = app.state.hub
            for recipient in (GONE, BUSY, CLOSING, BUYER):
                await queue_email(hub, org="shop", kind="test", recipient=recipient, rendered=RenderedEmail("Hi", "Body"))
            assert await deliver_due(hub) == 4
            rows = {
                row["recipient"]: row
                for row in await OutboxMessage.select(
                    OutboxMessage.recipient, OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.last_error
                )
            }
    assert hub.settings.outbox_max_attempts > 1
    assert rows[GONE]["status"] == "failed" and rows[GONE]["attempts"] == 1
    assert "550 5.1.1" in rows[GONE]["last_error"] and "User unknown" in rows[GONE]["last_error"]
    assert rows[BUSY]["status"] == "pending" and rows[BUSY]["attempts"] == 1, rows[BUSY]
    # A 421 asks to slow down: put back without spending an attempt.
    assert rows[CLOSING]["status"] == "pending" and rows[CLOSING]["attempts"] == 0, rows[CLOSING]
    assert "421 4.7.0" in rows[CLOSING]["last_error"]
    assert rows[BUYER]["status"] == "sent"


async def test_a_relay_answering_421_is_left_alone_for_a_pause_and_no_attempt_is_spent(database_url, tmp_path, monkeypatch):
    """Launch day: a relay that takes at most so many messages a second answers
    421 beyond them. The hub stops sending for a pause (nothing more is tried,
    the message keeps its attempts) and then sends everything, once each."""
    from hub.errors import RelayBusy
    from hub.services import outbox

    # A long first pause, ended by the test rather than by the clock: a
    # loaded machine must not let the pause run out between two calls.
    monkeypatch.setattr(outbox, "FIRST_PAUSE_SECONDS", outbox.LONGEST_PAUSE_SECONDS)
    with smtp_server() as server:
        server.refusals[CLOSING] = REFUSALS[CLOSING]
        mailer = mailer_from_settings({"HUB_SMTP_URL": server.url + "?timeout=5", "HUB_MAIL_FROM": SHOP_FROM})
        with pytest.raises(RelayBusy, match="421 4.7.0"):
            await mailer.send(build_message(CLOSING, RenderedEmail("Hello", "Your links")))
        settings = settings_for_tests(
            tmp_path / "data", database_url=database_url, worker="off",
            extra={"HUB_SMTP_URL": f"{server.url}?concurrency=1", "HUB_MAIL_FROM": SHOP_FROM},
        )
        app = make_app(settings, entry_points="email")
        async with hub_client(app):
            hub = app.state.hub
            for recipient in (CLOSING, "second@example.com", "third@example.com"):
                await queue_email(hub, org="shop", kind="test", recipient=recipient, rendered=RenderedEmail("Hi", "Body"))
            assert await deliver_due(hub) == 3
            # One at a time (concurrency=1): what came before the refused one
            # went out; the refused one and those behind it were not tried.
            before = {m["To"] for m in server.received()}
            assert CLOSING not in before
            assert await deliver_due(hub) == 0  # paused: nothing is claimed
            rows = await OutboxMessage.select(
                OutboxMessage.recipient, OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.last_error
            )
            for r in rows:
                if r["recipient"] in before:
                    assert (r["status"], r["attempts"]) == ("sent", 1)
                else:
                    assert (r["status"], r["attempts"]) == ("pending", 0) and "RelayBusy" in r["last_error"]
            assert hub.mail_pause_seconds == outbox.LONGEST_PAUSE_SECONDS
            del server.refusals[CLOSING]  # the relay has room again
            # The pause runs out (the hub's and the messages' own next attempt).
            hub.mail_paused_until = 0.0
            await OutboxMessage.update({OutboxMessage.next_attempt_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
                OutboxMessage.status == "pending"
            )
            assert await deliver_due(hub) == 3 - len(before)
            rows = await OutboxMessage.select(OutboxMessage.status, OutboxMessage.attempts)
    assert sorted(r["To"] for r in server.received()) == sorted([CLOSING, "second@example.com", "third@example.com"])
    assert [(r["status"], r["attempts"]) for r in rows] == [("sent", 1)] * 3
    assert hub.mail_pause_seconds == 0.0
