"""The plugin system: entry-point discovery, HUB_PLUGINS, loud failures,
documented hooks, and event hooks that run after the commit."""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pluggy
import pytest

from hub.app import build_hub, create_app
from hub.plugins import (
    MailerChoiceError,
    PluginLoadError,
    PluginSettingError,
    RenderedEmail,
    Setting,
    choose_mailer,
    describe,
    first_result,
    hookspecs,
    load_plugins,
    new_plugin_manager,
    selection,
)
from hub.plugins.hookspecs import hookimpl
from hub.services import buyers, problems, support
from hub.services.purchases import PurchaseIn, PurchaseItem, record_purchase
from hub.tables import OutboxMessage
from hub.testing.app import hub_client, make_app, make_org, settings_for_tests
from hub.testing.events import events_settled
from hub.testing.mailbox import CapturedMailbox
from hub.testing.products import ready_product

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "sales-log-plugin"


def install_entry_point(site: Path, dist: str, name: str, target: str) -> None:
    """What ``pip install`` leaves behind for a plugin: a dist-info folder
    declaring the entry point (importlib.metadata finds it on sys.path)."""
    info = site / f"{dist.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[continuata_hub]\n{name} = {target}\n")


@pytest.fixture
def example_installed(tmp_path, monkeypatch) -> Path:
    site = tmp_path / "site"
    install_entry_point(site, "hub-sales-log", "sales-log", "hub_sales_log")
    monkeypatch.syspath_prepend(str(EXAMPLE))
    monkeypatch.syspath_prepend(str(site))
    return site


def test_the_example_plugin_loads_through_its_entry_point(example_installed):
    loaded = {p.name: p for p in describe(load_plugins())}
    assert {"stripe", "paypal", "email", "sales-log"} <= set(loaded)
    assert loaded["sales-log"].version == "0.1.0"
    assert loaded["sales-log"].hooks == ("hub_piccolo_apps", "hub_routes", "hub_settings", "purchase_recorded")


def test_hub_plugins_chooses_what_loads(example_installed):
    assert {p.name for p in describe(load_plugins("sales-log"))} == {"sales-log"}
    assert "sales-log" not in {p.name for p in describe(load_plugins("all,-sales-log"))}
    with pytest.raises(PluginLoadError, match="not installed: nope"):
        load_plugins("sales-log,nope")
    assert selection(None) == (None, set())
    assert selection("stripe, -paypal") == ({"stripe"}, {"paypal"})


def test_a_plugin_that_fails_to_import_stops_the_start_with_its_name(tmp_path, monkeypatch):
    site = tmp_path / "site"
    install_entry_point(site, "broken-plugin", "broken", "broken_plugin_module")
    (site / "broken_plugin_module.py").write_text("raise ImportError('needs a library that is missing')\n")
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(PluginLoadError) as failure:
        load_plugins()
    message = str(failure.value)
    assert "'broken'" in message and "needs a library that is missing" in message
    assert "HUB_PLUGINS=all,-broken" in message
    assert {p.name for p in describe(load_plugins("all,-broken"))} >= {"stripe"}


def test_a_misspelt_hook_fails_loudly():
    class Misspelt:
        @hookimpl
        def purchase_recoded(self, hub, purchase):
            pass

    with pytest.raises(pluggy.PluginValidationError):
        load_plugins("all", extra=[("misspelt", Misspelt())])


def test_every_hook_is_documented_in_code_and_in_the_guide():
    guide = (ROOT / "docs" / "plugins.md").read_text()
    hooks = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, "continuata_hub_spec")]
    assert len(hooks) >= 10
    for name in hooks:
        assert (getattr(hookspecs, name).__doc__ or "").strip(), f"hook {name} has no docstring"
        assert f"`{name}" in guide, f"hook {name} is not in docs/plugins.md"


async def test_event_hooks_run_after_the_commit_and_a_failing_plugin_undoes_nothing(settings, tmp_path, example_installed):
    log = tmp_path / "sales.jsonl"
    seen: list[str] = []

    class Broken:
        @hookimpl
        def purchase_recorded(self, purchase):
            raise RuntimeError("a bug in somebody's plugin")

    class Watcher:
        @hookimpl
        async def tokens_minted(self, hub, tokens):
            seen.extend(t["id"] for t in tokens)

    settings = dataclasses.replace(settings, extra={"HUB_SALES_LOG_FILE": str(log)})
    app = make_app(settings, plugins=[("broken", Broken()), ("watcher", Watcher())], entry_points="sales-log")
    async with hub_client(app) as client:
        keys = await make_org("shop")
        await ready_product(client, keys, slug="pack")
        order = PurchaseIn(org="shop", provider="api", provider_ref="o-1", customer_email="a@example.com", items=[PurchaseItem("pack")], amount=500, currency="usd")
        first = await record_purchase(app.state.hub, order)
        await record_purchase(app.state.hub, order)  # a replay announces nothing
        await events_settled(app.state.hub)

        lines = [json.loads(line) for line in log.read_text().splitlines()]
        assert lines == [{"purchase": first.purchase["id"], "shop": "shop", "provider": "api", "amount": 500, "currency": "usd", "tokens": 1}]
        assert seen == [first.tokens[0][1]["id"]]
        assert (await client.get("/plugins/sales-log/count")).json() == {"sales": 1}
        listed = (await client.get("/api/purchases", headers=keys)).json()["data"]
        assert listed["pagination"]["total"] == 1


def test_the_example_plugins_own_tests_pass_with_the_test_kit_and_no_dependency_warnings(tmp_path):
    """What a plugin author runs: the example's tests, with the pytest
    configuration its pyproject shows, using only hub.testing."""
    project = tmp_path / "sales-log-plugin"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("data", "__pycache__", "*.jsonl"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "PYTEST_"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout and "warning" not in result.stdout.lower()


def test_plugins_command_lists_plugins_hooks_and_settings(example_installed, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(example_installed), str(EXAMPLE), str(ROOT)]), "HUB_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "hub", "plugins"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "sales-log 0.1.0" in result.stdout
    assert "hooks: hub_piccolo_apps, hub_routes, hub_settings, purchase_recorded" in result.stdout
    assert "HUB_SALES_LOG_FILE [unset]" in result.stdout


# --- hooks where the first answer wins ------------------------------------------


def _render_email_plugin(answer, *, is_async: bool, calls: list[str], name: str):
    """A plugin whose ``render_email`` answers ``answer`` (None: it passes)."""

    if is_async:

        class Plugin:
            @hookimpl
            async def render_email(self, template):
                calls.append(name)
                return answer

    else:

        class Plugin:
            @hookimpl
            def render_email(self, template):
                calls.append(name)
                return answer

    return Plugin()


ANSWER = RenderedEmail(subject="Your files", text="Here they are")


@pytest.mark.parametrize("passer_async", [False, True], ids=["sync-none", "async-none"])
@pytest.mark.parametrize("answerer_async", [False, True], ids=["sync-answer", "async-answer"])
@pytest.mark.parametrize("passer_first", [True, False], ids=["none-called-first", "answer-called-first"])
async def test_a_plugin_answering_none_never_hides_the_next_plugins_answer(passer_async, answerer_async, passer_first):
    calls: list[str] = []
    passer = _render_email_plugin(None, is_async=passer_async, calls=calls, name="passer")
    answerer = _render_email_plugin(ANSWER, is_async=answerer_async, calls=calls, name="answerer")
    manager = new_plugin_manager()
    # pluggy calls the plugin registered last first.
    for name, plugin in [("answerer", answerer), ("passer", passer)] if passer_first else [("passer", passer), ("answerer", answerer)]:
        manager.register(plugin, name=name)

    answer = await first_result(manager, "render_email", hub=None, template="delivery", context={})

    assert answer is ANSWER
    # The first answer that is not None wins; later plugins are not asked.
    assert calls == (["passer", "answerer"] if passer_first else ["answerer"])


async def test_no_answer_at_all_is_none():
    calls: list[str] = []
    manager = new_plugin_manager()
    manager.register(_render_email_plugin(None, is_async=True, calls=calls, name="a"), name="a")
    manager.register(_render_email_plugin(None, is_async=False, calls=calls, name="b"), name="b")
    assert await first_result(manager, "render_email", hub=None, template="delivery", context={}) is None
    assert calls == ["b", "a"]


async def test_a_wrapper_of_a_first_answer_hook_is_refused_with_the_plugins_name():
    class Wrapping:
        @hookimpl(wrapper=True)
        def render_email(self, template):
            return (yield)

    manager = new_plugin_manager()
    manager.register(_render_email_plugin(ANSWER, is_async=False, calls=[], name="a"), name="a")
    manager.register(Wrapping(), name="wrapping")
    with pytest.raises(PluginLoadError, match="'wrapping' wraps hook render_email"):
        await first_result(manager, "render_email", hub=None, template="delivery", context={})


async def test_an_async_mailer_plugin_answering_none_leaves_the_email_plugins_mailer(settings):
    class NoMailer:
        @hookimpl
        async def hub_mailer(self, hub):
            return None

    settings = dataclasses.replace(settings, extra={"HUB_SMTP_URL": "smtp://127.0.0.1:2525", "HUB_MAIL_FROM": "shop@example.com"})
    app = make_app(settings, plugins=[("no-mailer", NoMailer())], entry_points="email")
    async with hub_client(app):
        from continuata_plugins.email.smtp import SmtpMailer

        assert isinstance(app.state.hub.mailer, SmtpMailer)


async def test_an_async_render_email_answering_none_still_queues_the_delivery_email(settings):
    class Quiet:
        @hookimpl
        async def render_email(self, hub, template, context):
            return None  # renders nothing itself: the email plugin should

    app = make_app(settings, plugins=[("quiet", Quiet())], entry_points="email")
    async with hub_client(app) as client:
        keys = await make_org("shop")
        await ready_product(client, keys, slug="pack")
        order = PurchaseIn(org="shop", provider="api", provider_ref="o-1", customer_email="a@example.com", items=[PurchaseItem("pack")])
        await record_purchase(app.state.hub, order)
        queued = await OutboxMessage.select(OutboxMessage.kind, OutboxMessage.recipient)
        assert queued == [{"kind": "delivery", "recipient": "a@example.com"}]


# --- HUB_PLUGINS=none, plugin settings ----------------------------------------------


def test_hub_plugins_none_loads_no_installed_plugin_but_the_ones_given(example_installed):
    assert describe(load_plugins("none")) == []
    assert [p.name for p in describe(load_plugins("none", extra=[("mailbox", CapturedMailbox())]))] == ["mailbox"]


class Needy:
    """A plugin with a required setting and one with a default."""

    @hookimpl
    def hub_settings(self):
        return [
            Setting("HUB_NEEDY_KEY", "the API key of the needy service", required=True, secret=True),
            Setting("HUB_NEEDY_REGION", "where the needy service runs", default="eu"),
        ]


def test_a_missing_required_setting_stops_the_start_up_naming_it(tmp_path):
    with pytest.raises(PluginSettingError) as refused:
        make_app(settings_for_tests(tmp_path), plugins=[("needy", Needy())], entry_points="none")
    assert "HUB_NEEDY_KEY" in str(refused.value) and "'needy'" in str(refused.value)
    assert "HUB_NEEDY_REGION" not in str(refused.value)
    with pytest.raises(PluginSettingError, match="HUB_NEEDY_KEY"):  # empty is unset
        make_app(settings_for_tests(tmp_path, extra={"HUB_NEEDY_KEY": " "}), plugins=[("needy", Needy())], entry_points="none")


def test_a_setting_left_unset_reads_as_its_default(tmp_path):
    app = make_app(settings_for_tests(tmp_path, extra={"HUB_NEEDY_KEY": "k"}), plugins=[("needy", Needy())], entry_points="none")
    assert app.state.hub.settings.extra == {"HUB_NEEDY_KEY": "k", "HUB_NEEDY_REGION": "eu"}
    chosen = {"HUB_NEEDY_KEY": "k", "HUB_NEEDY_REGION": "us"}
    app = make_app(settings_for_tests(tmp_path, extra=chosen), plugins=[("needy", Needy())], entry_points="none")
    assert app.state.hub.settings.extra["HUB_NEEDY_REGION"] == "us"


def test_plugins_command_shows_defaults_and_the_mailer(example_installed, tmp_path, monkeypatch, capsys):
    from hub.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HUB_PLUGINS", "sales-log,email")
    assert main(["plugins"]) == 0
    shown = capsys.readouterr().out
    [line] = [line for line in shown.splitlines() if "HUB_SALES_LOG_FILE" in line]
    assert line.startswith("  HUB_SALES_LOG_FILE [unset]: ") and line.endswith(" (default: sales.jsonl)")
    assert "mailer: none (emails wait in the outbox)" in shown


# --- which mailer delivers ------------------------------------------------------------


class OfferingMailer(CapturedMailbox):
    """A third-party mailer plugin (an email provider's API, say)."""


def mailer_hub(tmp_path, *plugins, entry_points: str = "none", **settings):
    return build_hub(settings_for_tests(tmp_path, **settings), plugins=load_plugins(entry_points, extra=plugins))


async def test_hub_mailer_names_the_plugin_that_delivers(tmp_path):
    first, second = OfferingMailer(), OfferingMailer()
    hub = mailer_hub(tmp_path, ("first", first), ("second", second), mailer="second")
    assert await choose_mailer(hub.plugins, hub, hub.settings.mailer) == ("second", second)


async def test_a_mailer_offer_that_cannot_send_stops_the_start_up(tmp_path):
    class Typo:
        """Offers an object whose method is misspelt: it could never send."""

        @hookimpl
        def hub_mailer(self):
            class Mailer:
                async def sned(self, message) -> None: ...

            return Mailer()

    hub = mailer_hub(tmp_path, ("typo", Typo()))
    with pytest.raises(MailerChoiceError, match=r"Plugin 'typo' offered a mailer without a send\(message\) method"):
        await choose_mailer(hub.plugins, hub, "")


async def test_two_mailers_and_no_choice_stop_the_start_up(tmp_path):
    hub = mailer_hub(tmp_path, ("first", OfferingMailer()), ("second", OfferingMailer()))
    with pytest.raises(MailerChoiceError, match=r"Several plugins offer a mailer \(first, second\).*HUB_MAILER"):
        await choose_mailer(hub.plugins, hub, "")


def test_a_mailer_choice_naming_no_loaded_plugin_stops_the_start_up(tmp_path):
    with pytest.raises(MailerChoiceError, match="HUB_MAILER=sendgrid names no loaded plugin with a mailer.*email, mailbox"):
        make_app(settings_for_tests(tmp_path, mailer="sendgrid"), plugins=[("mailbox", CapturedMailbox())], entry_points="email")


async def test_the_smtp_plugin_delivers_when_configured_beside_another_mailer_and_the_choice_is_logged(tmp_path):
    smtp = {"HUB_SMTP_URL": "smtp://127.0.0.1:2525", "HUB_MAIL_FROM": "shop@example.com"}
    hub = mailer_hub(tmp_path, ("other", OfferingMailer()), entry_points="email", extra=smtp)
    name, mailer = await choose_mailer(hub.plugins, hub, "")
    assert name == "email" and type(mailer).__name__ == "SmtpMailer"
    # Without HUB_SMTP_URL the SMTP plugin offers nothing: the other delivers.
    other = OfferingMailer()
    hub = mailer_hub(tmp_path, ("other", other), entry_points="email")
    assert await choose_mailer(hub.plugins, hub, "") == ("other", other)

    app = make_app(settings_for_tests(tmp_path / "app"), plugins=[("other", other)], entry_points="email")
    logged: list[logging.LogRecord] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = logged.append  # the hub's logger may not propagate to pytest's capture
    logging.getLogger("hub").addHandler(handler)
    try:
        async with hub_client(app):
            assert app.state.hub.mailer is other
    finally:
        logging.getLogger("hub").removeHandler(handler)
    assert any(r.getMessage().startswith("Mailer: ") and "from plugin 'other'" in r.getMessage() for r in logged)


async def test_a_replacement_mailer_gets_rendered_emails_and_the_from_address_without_the_smtp_plugin(settings):
    mailbox = CapturedMailbox()
    settings = dataclasses.replace(settings, mail_from="Kick Shop <shop@example.com>")
    app = make_app(settings, plugins=[("mailbox", mailbox)], entry_points="none")
    async with hub_client(app) as client:
        keys = await make_org("shop")
        await ready_product(client, keys, slug="pack")
        order = PurchaseIn(org="shop", provider="api", provider_ref="o-1", customer_email="a@example.com", items=[PurchaseItem("pack")])
        await record_purchase(app.state.hub, order)
        [message] = await mailbox.wait_for(1)
    assert message["From"] == "Kick Shop <shop@example.com>" and message["To"] == "a@example.com"
    assert message["Subject"] == "Your download from hub.test: Epic Drum Kit Vol. 1"  # no display name yet: the host, never the slug
    assert message.get_body(("html",)) is not None  # the built-in templates, rendered by the core


# --- tokens_minted fires for every mint --------------------------------------------


async def test_tokens_minted_fires_once_for_every_mint(settings):
    calls: list[list[dict]] = []

    class Recorder:
        @hookimpl
        def tokens_minted(self, tokens):
            calls.append(tokens)

    async def minted() -> list[dict]:
        await events_settled(app.state.hub)
        [tokens] = calls
        calls.clear()
        return tokens

    app = make_app(settings, plugins=[("recorder", Recorder()), ("mailbox", CapturedMailbox())], entry_points="none")
    async with hub_client(app) as client:
        hub = app.state.hub
        keys = await make_org("shop")
        await ready_product(client, keys, slug="pack")

        made = (await client.post("/api/products/pack/tokens", json={"customerEmail": "a@example.com"}, headers=keys)).json()
        [token] = await minted()
        assert token["id"] == made["data"]["token"]["id"] and token["product"] == {"id": "pack", "name": "Epic Drum Kit Vol. 1", "version": "1.0.0"}
        assert "token" not in token and "tokenHash" not in token and "token_hash" not in token

        url = (await client.post("/api/generate-download-url", json={"productId": "pack"}, headers=keys)).json()
        [token] = await minted()
        assert token["product"]["id"] == "pack" and token["customerEmail"] is None and url["downloadUrl"]

        order = PurchaseIn(org="shop", provider="api", provider_ref="o-1", customer_email="b@example.com", items=[PurchaseItem("pack")])
        bought = await record_purchase(hub, order)
        [token] = await minted()
        purchase_id, token_id = bought.purchase["id"], token["id"]
        assert token["purchaseId"] == purchase_id

        await buyers.fresh_link(hub, "b@example.com", token_id)  # the buyer's /my page
        assert [t["id"] for t in await minted()] == [token_id]
        await support.fresh_link(hub, "shop", purchase_id, token_id)  # the console's fresh link
        assert [t["id"] for t in await minted()] == [token_id]
        await support.resend_delivery(hub, "shop", purchase_id)  # the console's resend: new links
        assert [t["id"] for t in await minted()] == [token_id]

        await ready_product(client, keys, slug="pads")
        await problems.fix_and_fulfil(hub, "shop", purchase_id, email="b@example.com", items="pack, pads")
        await events_settled(hub)
        new, resent = calls  # the token it lacked, then the links it sends again
        assert [t["product"]["id"] for t in new] == ["pads"]
        assert sorted(t["product"]["id"] for t in resent) == ["pack", "pads"]


# --- typed records --------------------------------------------------------------------


async def test_hooks_get_null_for_an_unset_text_where_the_api_shows_an_empty_one(settings):
    seen: list[dict] = []

    class Watcher:
        @hookimpl
        def purchase_recorded(self, purchase):
            seen.append(purchase)

    app = make_app(settings, plugins=[("watcher", Watcher())], entry_points="none")
    async with hub_client(app) as client:
        keys = await make_org("shop")
        await ready_product(client, keys, slug="pack")
        order = PurchaseIn(org="shop", provider="api", provider_ref="o-1", customer_email="a@example.com", items=[PurchaseItem("pack")])
        await record_purchase(app.state.hub, order)
        await events_settled(app.state.hub)
        [listed] = (await client.get("/api/purchases", headers=keys)).json()["data"]["purchases"]
    [purchase] = seen
    assert listed["customerName"] == "" and purchase["customerName"] is None and purchase["currency"] is None
    assert purchase["customerEmail"] == "a@example.com" and purchase["items"] == [{"productId": "pack", "version": None}]
    assert purchase["createdAt"].endswith("Z") and purchase["tokens"][0]["version"] == "1.0.0"


async def test_render_email_gets_the_documented_context_and_it_serializes(settings):
    from hub.plugins.records import DeliveryContext, DeliveryItem, EmailPurchase

    contexts: list[dict] = []

    class Recorder:
        @hookimpl
        def render_email(self, template, context):
            contexts.append(json.loads(json.dumps(context)))  # JSON all the way down

    app = make_app(settings, plugins=[("recorder", Recorder()), ("mailbox", CapturedMailbox())], entry_points="none")
    async with hub_client(app) as client:
        keys = await make_org("shop")
        await ready_product(client, keys, slug="pack")
        order = PurchaseIn(org="shop", provider="api", provider_ref="o-1", customer_email="a@example.com", items=[PurchaseItem("pack")])
        await record_purchase(app.state.hub, order)
    [context] = contexts
    assert set(context) == set(DeliveryContext.__annotations__)
    assert set(context["purchase"]) == set(EmailPurchase.__annotations__)
    assert context["purchase"]["customer_name"] is None and context["purchase"]["provider_ref"] == "o-1"
    [item] = context["items"]
    assert set(item) == set(DeliveryItem.__annotations__) and item["expires_at"].endswith("Z")


def test_the_hubs_own_tests_pin_their_plugins_so_an_installed_mailer_changes_nothing(tmp_path, monkeypatch):
    site = tmp_path / "site"
    install_entry_point(site, "rogue-mailer", "rogue", "rogue_mailer")
    (site / "rogue_mailer.py").write_text(
        "from hub.plugins.hookspecs import hookimpl\n\n@hookimpl\ndef hub_mailer(hub):\n    return object()\n"
    )
    monkeypatch.syspath_prepend(str(site))
    assert "rogue" in {p.name for p in describe(load_plugins())}  # installed, and found
    app = create_app(settings_for_tests(tmp_path / "data"))
    assert {name for name, _ in app.state.hub.plugins.list_name_plugin()} == {"stripe", "paypal", "email"}
    app = make_app(settings_for_tests(tmp_path / "data"), plugins=[("mailbox", CapturedMailbox())])
    assert {name for name, _ in app.state.hub.plugins.list_name_plugin()} == {"stripe", "paypal", "email", "mailbox"}


def test_the_typed_records_name_every_field_the_api_shapes_give():
    """hub.plugins.records documents the API's shapes: a field added to one must be added to the other."""
    from datetime import UTC, datetime

    from hub import resources
    from hub.plugins import records

    def shaped(resource):
        return resources.as_record(resource)

    now = datetime(2026, 1, 31, 12, tzinfo=UTC)
    version_row = {"id": "ver_1", "version": "1.0.0", "size": 3, "file_count": 1, "status": "ready", "changelog": "",
                   "created_at": now, "ready_at": now}
    file_row = {"id": "file_1", "path": "a.wav", "size": 3, "sha256": "0" * 64, "status": "ready", "upload_id": ""}
    product_row = {"slug": "pack", "name": "Pack", "description": "", "status": "published", "metadata": {},
                   "org": "shop", "created_at": now, "updated_at": now}
    token_row = {"id": "token_1", "expires_at": now, "max_downloads": None, "used_count": 0, "customer_email": "",
                 "metadata": {}, "revoked_at": None, "created_at": now, "purchase": None}
    assert set(shaped(resources.product(product_row, version_row))) == set(records.Product.__annotations__)
    assert set(shaped(resources.version_summary(version_row))) == set(records.VersionSummary.__annotations__)
    version = shaped(resources.version({**version_row, "files": [file_row]}))
    assert set(version) == set(records.Version.__annotations__)
    assert set(version["files"][0]) == set(records.VersionFile.__annotations__)
    assert set(shaped(resources.token(None, token_row, product_row, "1.0.0"))) == set(records.Token.__annotations__)
