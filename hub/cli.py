"""``continuata-hub``: set up, run, and feed the hub from a terminal."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from hub.db import Database, DatabaseUrlError
from hub.errors import HubError
from hub.plugins import PluginLoadError
from hub.settings import Settings, SettingsError
from hub.startup import StartupError, where

MISCONFIGURATION = (StartupError, SettingsError, PluginLoadError, DatabaseUrlError, OSError)
"""What ends a command with one line and exit status 1 instead of a traceback."""

if TYPE_CHECKING:
    from pluggy import PluginManager

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as problem:
        sys.exit(f"continuata-hub: {problem}")


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _checked_settings(*, database_must_exist: bool = True):
    """The settings and the plugins ``HUB_PLUGINS`` selects; a ``HUB_*``
    variable that neither the core nor a loaded plugin reads is refused
    (a misspelt ``HUB_DATABSE_URL`` would otherwise silently mean SQLite).

    A command that works on what ``init`` set up (every one but ``init``
    and ``migrate``) is refused here, before anything writes a file, when
    its SQLite database does not exist
    (:func:`hub.startup.check_database_exists`); ``serve`` checks its
    address first, then the database."""
    from hub.plugins import declared_settings, load_plugins
    from hub.startup import check_database_exists, unknown_settings

    settings = _settings()
    plugins = load_plugins(settings.plugins)
    declared = {setting.name for _, setting in declared_settings(plugins)}
    problems = unknown_settings(settings.extra, Settings.variable_names() | declared)
    if problems:
        raise StartupError("; ".join(problems))
    if database_must_exist:
        check_database_exists(settings.database_url)
    return settings, plugins


async def _with_database(
    settings: Settings, plugins: PluginManager, work: Callable[[Database], Awaitable[T]], *, db: Database | None = None
) -> T:
    """Run ``work(db)`` on the database once it is open, migrated (the hub's
    tables and those of ``plugins``) and known to belong to this
    ``HUB_SECRET_KEY``, as ``serve`` and the worker check it.

    Every command that opens the database goes through here (``migrate``
    alone, see :func:`_migrated`): a command run with another key would
    otherwise seal secrets (a webhook endpoint's) that no server can open.
    ``db`` is the hub's own :class:`~hub.db.Database` for a command that
    works through a hub (:func:`hub.app.build_hub`)."""
    from hub.sealing import secret_key
    from hub.startup import check_secret_key

    async with _migrated(settings, plugins, db) as opened:
        await check_secret_key(opened, secret_key(settings))
        return await work(opened)


@contextlib.asynccontextmanager
async def _migrated(settings: Settings, plugins, db=None):
    """The database, reachable and migrated, without the key check: only
    ``migrate`` uses it bare. Migrating reads and writes no secret, and a
    deploy step that migrates without ``HUB_SECRET_KEY`` must not record
    its own made-up key as the database's (the servers would be refused)."""
    from hub.db import Database
    from hub.plugins.tables import piccolo_apps
    from hub.startup import wait_for_database

    db = db or Database(settings.database_url)
    await wait_for_database(settings.database_url, settings.database_wait_seconds, _say)
    async with db:
        await db.migrate(piccolo_apps(plugins))
        yield db


def cmd_init(args: argparse.Namespace) -> int:
    """Create the database (migrated), the organization, and an admin key."""
    from hub.services.accounts import create_api_key, create_organization

    settings, plugins = _checked_settings(database_must_exist=False)

    async def work(db):
        await create_organization(args.org, args.name, contact_email=args.contact_email)
        return await create_api_key(args.org, "admin", label="created by init")

    try:
        secret, _ = asyncio.run(_with_database(settings, plugins, work))
    except HubError as problem:
        print(f"continuata-hub: {problem.message}", file=sys.stderr)
        if "already exists" in problem.message:
            print(f"Make another key with: continuata-hub keys create --org {args.org} --role admin", file=sys.stderr)
        return 1
    print(f"Database ready: {where(settings.database_url)}")
    print(f"Organization {args.org} created. Its admin API key (shown once, keep it safe):")
    print(secret)
    return 0


ORG_FIELDS = (
    ("name", "name"),
    ("support_email", "supportEmail"),
    ("sender_name", "senderName"),
    ("accent_color", "accentColor"),
    ("contact_email", "contactEmail"),
)


def _print_org(org: dict) -> None:
    print(f"{org['id']}\t{org['name'] or '(no display name)'}")
    for _, key in ORG_FIELDS[1:]:
        print(f"  {key}: {org[key] or '-'}")
    print(f"  logo: {org['logoUrl'] or '-'}")


def cmd_orgs_list(args: argparse.Namespace) -> int:
    """Every organization with its shop identity (what buyers see)."""
    from hub.services.shops import list_organizations

    settings, plugins = _checked_settings()
    orgs = _run_hub_work(settings, plugins, lambda db: list_organizations(settings))
    if orgs is None:
        return 1
    for org in orgs:
        _print_org(org)
    return 0


def cmd_orgs_update(args: argparse.Namespace) -> int:
    """Change an organization's shop identity: only the options given."""
    from hub.services.audit import CLI_ACTOR, audit
    from hub.services.shops import update_organization

    changes: dict[str, object] = {
        field: getattr(args, field) for field, _ in ORG_FIELDS if getattr(args, field) is not None
    }
    if args.no_logo:
        changes["logo"] = b""
    elif args.logo is not None:
        try:
            changes["logo"] = Path(args.logo).read_bytes()
        except OSError as problem:
            print(f"continuata-hub: cannot read the logo {args.logo}: {problem.strerror}", file=sys.stderr)
            return 1
    if not changes:
        print("continuata-hub: nothing to change: give --name, --logo, --support-email, --sender-name, "
              "--accent-color or --contact-email", file=sys.stderr)
        return 2
    settings, plugins = _checked_settings()

    async def work(db):
        org = await update_organization(settings, args.org, **changes)
        changed = sorted(key for field, key in ORG_FIELDS if field in changes) + (["logo"] if "logo" in changes else [])
        await audit(org=args.org, actor=CLI_ACTOR, action="organization.update", target=args.org, detail={"changed": changed})
        return org

    org = _run_hub_work(settings, plugins, work)
    if org is None:
        return 1
    _print_org(org)
    return 0


def cmd_keys_create(args: argparse.Namespace) -> int:
    from hub.services.accounts import create_api_key
    from hub.services.audit import CLI_ACTOR, audit

    settings, plugins = _checked_settings()

    async def work(db):
        secret, key = await create_api_key(args.org, args.role, label=args.label or "")
        await audit(org=args.org, actor=CLI_ACTOR, action="api_key.create", target=key["id"], detail={"role": args.role})
        return secret, key

    try:
        secret, key = asyncio.run(_with_database(settings, plugins, work))
    except HubError as problem:
        print(f"continuata-hub: {problem.message}", file=sys.stderr)
        return 1
    print(f"API key {key['id']} for {args.org}, role {args.role} (shown once, keep it safe):")
    print(secret)
    return 0


def _read_password(args: argparse.Namespace) -> str:
    """The password from standard input (``--password-stdin``, one line) or a prompt."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        sys.exit("continuata-hub: the passwords differ")
    return first


def _run_hub_work(settings: Settings, plugins: PluginManager, work: Callable[[Database], Awaitable[T]]) -> T | None:
    try:
        return asyncio.run(_with_database(settings, plugins, work))
    except HubError as problem:
        print(f"continuata-hub: {problem.message}", file=sys.stderr)
        return None


def cmd_users_create(args: argparse.Namespace) -> int:
    """Create a console user (or add an existing one to ``--org``)."""
    from hub.services.audit import CLI_ACTOR, audit
    from hub.services.people import create_user

    settings, plugins = _checked_settings()
    password = _read_password(args)

    async def work(db):
        user = await create_user(args.org, args.email, args.role, password)
        await audit(org=args.org, actor=CLI_ACTOR, action="member.create", target=user["email"], detail={"role": args.role})
        return user

    user = _run_hub_work(settings, plugins, work)
    if user is None:
        return 1
    print(f"{user['email']} is {args.role} of {args.org}. Sign in at {settings.public_url}/console/login")
    return 0


def cmd_users_reset_password(args: argparse.Namespace) -> int:
    from hub.services.audit import CLI_ACTOR, audit
    from hub.services.console_sessions import end_all_sessions
    from hub.services.people import person, set_password

    settings, plugins = _checked_settings()
    password = _read_password(args)

    async def work(db):
        user = await set_password(args.email, password)
        # Whoever knew the old password is signed out everywhere.
        await end_all_sessions(user["id"])
        found = await person(user["id"])
        assert found is not None  # set_password found the user
        for org in found.roles:
            await audit(org=org, actor=CLI_ACTOR, action="member.reset_password", target=user["email"])
        return user

    user = _run_hub_work(settings, plugins, work)
    if user is None:
        return 1
    print(f"Password of {user['email']} changed; their console sessions were ended.")
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from hub.services.accounts import list_api_keys

    settings, plugins = _checked_settings()
    keys = _run_hub_work(settings, plugins, lambda db: list_api_keys(args.org))
    if keys is None:
        return 1
    for key in keys:
        state = f"revoked {key['revoked_at']:%Y-%m-%d}" if key["revoked_at"] else "active"
        print(f"{key['id']}\t{key['role']}\t{state}\t{key['created_at']:%Y-%m-%d}\t{key['label']}")
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from hub.services.accounts import revoke_api_key
    from hub.services.audit import CLI_ACTOR, audit

    settings, plugins = _checked_settings()

    async def work(db):
        key = await revoke_api_key(args.org, args.key_id)
        await audit(org=key["org"], actor=CLI_ACTOR, action="api_key.revoke", target=key["id"])
        return key

    key = _run_hub_work(settings, plugins, work)
    if key is None:
        return 1
    print(f"API key {key['id']} of {key['org']} revoked.")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings, plugins = _checked_settings(database_must_exist=False)
    # Migrating needs no secret key, so an operator may run it from anywhere.
    async def migrated() -> None:
        async with _migrated(settings, plugins):
            pass

    asyncio.run(migrated())
    print(f"Database migrated: {where(settings.database_url)}")
    return 0


def serve_app():
    """The app of one ``serve --workers N`` process (uvicorn imports it by
    name in each process it starts): the settings and plugins are read anew
    there, from the same environment."""
    settings, plugins = _checked_settings()
    return app_to_serve(settings, plugins)


def app_to_serve(settings, plugins):
    """The app one ``serve`` process runs: with its request lines (unless
    ``HUB_LOG_LEVEL`` is above ``info``, as uvicorn's access log would be
    quiet), and the start-up heap settled."""
    from hub.app import create_app

    app = create_app(settings, plugins=plugins, access_log=settings.log_level.lower() in {"trace", "debug", "info"})
    settle_heap()
    return app


def settle_heap() -> None:
    """Leave what start-up built (modules, the app and its routes, templates)
    out of the garbage collector's full passes: it lives as long as the
    process, and a full pass over it stalls every request in flight (each
    pass walks every object; ``gc.freeze``, as CPython's documentation
    advises for servers)."""
    gc.collect()
    gc.freeze()


def server_protocol(fast_lanes: bool = True) -> tuple[type | str, str]:
    """The HTTP protocol and event loop ``serve`` runs: httptools + uvloop
    (about twice h11 + asyncio on small requests), both taught zero-copy file
    bodies (hub.bypasses.sendfile_server); h11 + asyncio where they are
    missing. Without ``fast_lanes`` (``HUB_FAST_LANES=off``), uvicorn's own
    protocols, untaught."""
    from hub.bypasses.sendfile_server import SendfileH11Protocol, SendfileHttpToolsProtocol

    try:
        import httptools  # noqa: F401
        import uvloop  # noqa: F401
    except ImportError:
        return (SendfileH11Protocol if fast_lanes else "h11"), "asyncio"
    return (SendfileHttpToolsProtocol if fast_lanes else "httptools"), "uvloop"


async def _choose_mailer_quietly(hub) -> None:
    """Choose the mailer as the server's start-up will (raising what it
    would: ``HUB_SMTP_URL`` without ``HUB_MAIL_FROM``, say), without the
    plugins' log lines, which the start-up itself writes."""
    import logging

    from hub.plugins import choose_mailer

    logging.disable(logging.WARNING)
    try:
        await choose_mailer(hub.plugins, hub, hub.settings.mailer)
    finally:
        logging.disable(logging.NOTSET)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings, plugins = _checked_settings(database_must_exist=False)
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    from hub.startup import check_database_exists, check_listen_address

    if args.workers < 1:
        print("continuata-hub: --workers must be 1 or more", file=sys.stderr)
        return 2
    check_listen_address(host, port)
    check_database_exists(settings.database_url)
    # Wait for, migrate and check the database, and choose the mailer, here,
    # where a problem can be said in one line; inside the server's lifespan
    # it would be a traceback (and exit status 3).
    from hub.app import build_hub

    hub = build_hub(settings, plugins)
    asyncio.run(_with_database(settings, plugins, lambda db: _choose_mailer_quietly(hub), db=hub.db))
    protocol, loop = server_protocol(settings.fast_lanes)
    # Several processes share one listening socket (uvicorn's supervisor
    # binds it, starts the processes and replaces one that dies). Each runs
    # the inline worker too: claims are leases, so N workers share the
    # outbox and inbox without doing anything twice.
    # Each process's share of the limits counted in memory (the license
    # API's, hub.services.rate_limits.LocalLimits) follows the count; the
    # processes read their settings from this environment.
    os.environ["HUB_SERVE_WORKERS"] = str(args.workers)
    settings = dataclasses.replace(settings, serve_workers=args.workers)
    app = "hub.cli:serve_app" if args.workers > 1 else app_to_serve(settings, plugins)
    uvicorn.run(
        app,
        factory=args.workers > 1,
        workers=args.workers,
        host=host,
        port=port,
        log_level=settings.log_level,
        # X-Forwarded-For is read by the hub itself, from HUB_TRUSTED_PROXIES
        # only (hub.client_ip): one place, one rule.
        proxy_headers=False,
        # The hub writes the request lines itself (hub.web.access_log): the
        # same line, at a tenth of the cost.
        access_log=False,
        server_header=False,
        http=protocol,
        loop=loop,
    )
    return 0


def cmd_upload(args: argparse.Namespace) -> int:
    from continuata import ContinuataError
    from hub.upload_command import upload_folder

    api_url = args.api_url or os.environ.get("HUB_API_URL") or _settings().public_url
    api_key = args.api_key or os.environ.get("HUB_API_KEY")
    if not api_key:
        print("continuata-hub: an API key is needed: --api-key or HUB_API_KEY", file=sys.stderr)
        return 2
    try:
        upload_folder(
            api_url=api_url,
            api_key=api_key,
            product_id=args.product_id,
            version=args.version,
            folder=Path(args.folder),
            changelog=args.changelog,
            activate=args.activate,
            notify=args.notify,
            note=args.note,
        )
    except ContinuataError as problem:
        print(f"continuata-hub: {problem}", file=sys.stderr)
        return 1
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Process the payment inbox and deliver the outbox and the events until stopped (SIGINT / SIGTERM)."""
    import signal

    from hub.app import build_hub, opened
    from hub.services.privacy import run_retention
    from hub.services.worker import run_worker

    settings, plugins = _checked_settings()

    async def work() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with opened(build_hub(settings, plugins)) as hub:
            if hub.mailer is None:
                # Delivery emails would wait forever: an operator's mistake to
                # report, not a quiet success.
                print("continuata-hub: no mailer plugin is configured (HUB_SMTP_URL?); nothing to do", file=sys.stderr)
                return 1
            doing = ["delivering queued email and events (plugin hooks, webhooks)"] + (
                ["processing payment events"] if hub.inbox_processors else []
            )
            print(f"{' and '.join(doing).capitalize()}; Ctrl-C to stop.", flush=True)
            await asyncio.gather(run_worker(hub, stop), run_retention(hub, stop))
            return 0

    return asyncio.run(work())


def cmd_buyers(args: argparse.Namespace) -> int:
    """Export (as JSON on stdout) or erase what one organization holds about a buyer."""
    import json

    from hub.services.privacy import erase_buyer, export_buyer

    settings, plugins = _checked_settings()

    async def work(db):
        if args.buyers_command == "export":
            return await export_buyer(args.org, args.email)
        return {"erased": await erase_buyer(db, args.org, args.email)}

    try:
        answer = asyncio.run(_with_database(settings, plugins, work))
    except HubError as problem:
        print(f"continuata-hub: {problem.message}", file=sys.stderr)
        return 1
    print(json.dumps(answer, indent=2, ensure_ascii=False))
    return 0


def cmd_webhooks(args: argparse.Namespace) -> int:
    """``webhooks list|create|delete|rotate-secret``: the organization's endpoints."""
    from hub.app import build_hub
    from hub.services import webhook_endpoints as endpoints

    settings, plugins = _checked_settings()
    hub = build_hub(settings, plugins)

    async def work(db) -> None:
        if args.webhooks_command == "list":
            rows, _ = await endpoints.list_endpoints(args.org, limit=1000, offset=0)
            if not rows:
                print(f"No webhook endpoints for {args.org}.")
            for row in rows:
                print(f"{row['id']}  {row['status']:<8}  {row['url']}  events: {', '.join(row['events'])}")
                if row["disabled_reason"]:
                    print(f"    {row['disabled_reason']}")
        elif args.webhooks_command == "create":
            events = [e.strip() for e in args.events.split(",") if e.strip()]
            row, secret = await endpoints.create_endpoint(
                hub, args.org, url=args.url, events=events, description=args.description
            )
            print(f"Webhook endpoint {row['id']} for {args.url}. Its signing secret (shown once, keep it safe):")
            print(secret)
        elif args.webhooks_command == "delete":
            await endpoints.delete_endpoint(hub, args.org, args.endpoint_id)
            print(f"Webhook endpoint {args.endpoint_id} deleted.")
        else:
            row, secret = await endpoints.rotate_secret(hub, args.org, args.endpoint_id)
            print(f"New signing secret of {row['id']} (the old one still signs for 24 hours; shown once):")
            print(secret)

    try:
        asyncio.run(_with_database(settings, plugins, work, db=hub.db))
    except HubError as problem:
        print(f"continuata-hub: {problem.message}", file=sys.stderr)
        return 1
    return 0


def cmd_licenses_import(args: argparse.Namespace) -> int:
    """``licenses import --org ORG file.csv``: license keys from another
    system (columns key, email, product, activations), each once."""
    import csv

    from hub.app import build_hub
    from hub.services.licenses import IMPORT_COLUMNS, import_licenses

    settings, plugins = _checked_settings()
    try:
        handle = open(args.file, newline="", encoding="utf-8-sig")  # noqa: SIM115 (closed below)
    except OSError as problem:
        print(f"continuata-hub: cannot read {args.file}: {problem.strerror}", file=sys.stderr)
        return 1
    with handle:
        reader = csv.DictReader(handle)
        columns = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
        aliases = {"activations used": "activations", "activations_used": "activations", "customer email": "email"}
        columns = [aliases.get(name, name) for name in columns]
        missing = [name for name in IMPORT_COLUMNS[:3] if name not in columns]
        if missing:
            print(f"continuata-hub: {args.file} needs a header row naming the columns "
                  f"{', '.join(IMPORT_COLUMNS)} (missing: {', '.join(missing)})", file=sys.stderr)
            return 1
        reader.fieldnames = columns
        hub = build_hub(settings, plugins)
        try:
            report = asyncio.run(_with_database(settings, plugins, lambda db: import_licenses(hub, args.org, reader), db=hub.db))
        except HubError as problem:
            print(f"continuata-hub: {problem.message}", file=sys.stderr)
            return 1
    for line, note in report.notes:
        print(f"line {line}: {note}", file=sys.stderr)
    for line, reason in report.refused:
        print(f"line {line}: not imported: {reason}", file=sys.stderr)
    print(f"{report.imported} license key(s) imported, {report.already} already imported, {len(report.refused)} refused.")
    return 1 if report.refused else 0


def cmd_plugins(args: argparse.Namespace) -> int:
    """List the loaded plugins, their versions and hooks, and their settings."""
    from hub.plugins import PluginLoadError, declared_settings, describe, load_plugins

    settings = _settings()
    try:
        manager = load_plugins(settings.plugins)
    except PluginLoadError as problem:
        print(f"continuata-hub: {problem}", file=sys.stderr)
        return 1
    loaded = describe(manager)
    if not loaded:
        print("No plugins loaded.")
    for plugin in loaded:
        print(f"{plugin.name} {plugin.version}")
        print(f"  hooks: {', '.join(plugin.hooks) or '-'}")
    declared = declared_settings(manager)
    if declared:
        print("settings:")
        for _, setting in declared:
            value = settings.extra.get(setting.name)
            state = "set" if value else ("MISSING" if setting.required and setting.default is None else "unset")
            shown = "" if setting.secret or not value else f" = {value}"
            default = "" if setting.default is None or setting.secret else f" (default: {setting.default})"
            print(f"  {setting.name} [{state}]{shown}: {setting.description}{default}")
    print(f"mailer: {_mailer_choice(settings, manager)}")
    return 0


def _mailer_choice(settings: Settings, manager) -> str:
    """Which plugin will deliver email, as the start-up will decide it.

    The plugins are asked with a stand-in hub that holds only the settings
    (what a mailer is built from): listing plugins opens no database and
    writes no file."""
    from types import SimpleNamespace

    from hub.plugins import PluginLoadError, apply_plugin_settings, choose_mailer

    try:
        stand_in = SimpleNamespace(settings=apply_plugin_settings(manager, settings), plugin_state={})
        name, mailer = asyncio.run(choose_mailer(manager, stand_in, settings.mailer))
    except (PluginLoadError, SettingsError) as problem:
        return f"none: {problem}"
    return f"{name} ({mailer!r})" if mailer is not None else "none (emails wait in the outbox)"


def cmd_email_preview(args: argparse.Namespace) -> int:
    """Render an email with sample data, exactly as the hub would render it."""
    from hub.app import build_hub
    from hub.email_samples import SAMPLES, preview

    settings = _settings()
    if args.template not in SAMPLES:
        print(f"continuata-hub: no sample for {args.template!r}; templates: {', '.join(SAMPLES)}", file=sys.stderr)
        return 2
    try:
        rendered = asyncio.run(preview(build_hub(settings), args.template))
    except ValueError as problem:
        print(f"continuata-hub: {problem}", file=sys.stderr)
        return 1
    print(f"Subject: {rendered.subject}\n")
    print(rendered.text)
    if rendered.html and args.html:
        Path(args.html).write_text(rendered.html)
        print(f"\n(HTML written to {args.html})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="continuata-hub", description="Continuata Hub: deliver digital products.")
    commands = parser.add_subparsers(dest="command", required=True)

    init = commands.add_parser("init", help="create the database, an organization and its admin API key")
    init.add_argument("--org", required=True, help="organization id, e.g. audio-company")
    init.add_argument("--name", help="the shop's display name, what buyers see (set it later with orgs update)")
    init.add_argument("--contact-email", help="where the hub writes to the shop's admins (e.g. a disabled webhook endpoint)")
    init.set_defaults(run=cmd_init)

    serve = commands.add_parser("serve", help="start the HTTP server")
    serve.add_argument("--host", help="address to listen on (HUB_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (HUB_PORT, default 8000)")
    serve.add_argument(
        "--workers", type=int, default=1,
        help="server processes sharing the port (default 1); on SQLite too (WAL mode)",
    )
    serve.set_defaults(run=cmd_serve)

    migrate = commands.add_parser("migrate", help="apply database migrations and exit")
    migrate.set_defaults(run=cmd_migrate)

    orgs = commands.add_parser("orgs", help="organizations and their shop identity (name, logo, support email...)")
    org_commands = orgs.add_subparsers(dest="orgs_command", required=True)
    org_list = org_commands.add_parser("list", help="list the organizations with what their buyers see")
    org_list.set_defaults(run=cmd_orgs_list)
    org_update = org_commands.add_parser("update", help="change an organization's shop identity")
    org_update.add_argument("--org", required=True, help="organization id")
    org_update.add_argument("--name", help="display name, what buyers see (\"\" clears it)")
    org_update.add_argument("--logo", metavar="FILE", help="a PNG, JPEG, WebP or GIF image of at most 256 KB")
    org_update.add_argument("--no-logo", action="store_true", help="remove the logo")
    org_update.add_argument("--support-email", help="where buyers write: every email's Reply-To and footer")
    org_update.add_argument("--sender-name", help="the From name of the shop's emails (default: the display name)")
    org_update.add_argument("--accent-color", help="#rrggbb: buttons and links on buyer pages and emails")
    org_update.add_argument("--contact-email", help="where the hub writes to the shop's admins")
    org_update.set_defaults(run=cmd_orgs_update)

    keys = commands.add_parser("keys", help="manage API keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    create = key_commands.add_parser("create", help="create an API key (printed as the last line)")
    create.add_argument("--org", required=True)
    create.add_argument("--role", choices=["viewer", "member", "admin"], default="member")
    create.add_argument("--label", help="a note saying what the key is for")
    create.set_defaults(run=cmd_keys_create)
    listing = key_commands.add_parser("list", help="list an organization's API keys (never their secrets)")
    listing.add_argument("--org", required=True)
    listing.set_defaults(run=cmd_keys_list)
    revoke = key_commands.add_parser("revoke", help="revoke an API key at once")
    revoke.add_argument("key_id", help="the key's id, e.g. key_3f2a… (see keys list)")
    revoke.add_argument("--org", help="only if the key belongs to this organization")
    revoke.set_defaults(run=cmd_keys_revoke)

    users = commands.add_parser("users", help="manage console users")
    user_commands = users.add_subparsers(dest="users_command", required=True)
    user_create = user_commands.add_parser("create", help="create a console user in an organization")
    user_create.add_argument("--org", required=True)
    user_create.add_argument("--email", required=True)
    user_create.add_argument("--role", choices=["viewer", "member", "admin"], default="admin")
    user_create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    user_create.set_defaults(run=cmd_users_create)
    reset = user_commands.add_parser("reset-password", help="set a console user's password")
    reset.add_argument("--email", required=True)
    reset.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    reset.set_defaults(run=cmd_users_reset_password)

    worker = commands.add_parser("worker", help="process payment events, deliver queued email and events (run several at once if you like)")
    worker.set_defaults(run=cmd_worker)

    buyers = commands.add_parser("buyers", help="a buyer's personal data: export it or erase it")
    buyer_commands = buyers.add_subparsers(dest="buyers_command", required=True)
    for name, text in (
        ("export", "print everything an organization holds about EMAIL, as JSON"),
        ("erase", "revoke EMAIL's links and anonymise their records (amounts and dates are kept)"),
    ):
        command = buyer_commands.add_parser(name, help=text)
        command.add_argument("email")
        command.add_argument("--org", required=True)
        command.set_defaults(run=cmd_buyers)

    webhooks = commands.add_parser("webhooks", help="manage the webhook endpoints that receive the hub's events")
    webhook_commands = webhooks.add_subparsers(dest="webhooks_command", required=True)
    listing = webhook_commands.add_parser("list", help="list an organization's endpoints")
    listing.add_argument("--org", required=True)
    creating = webhook_commands.add_parser("create", help="register an endpoint (its secret is printed as the last line)")
    creating.add_argument("--org", required=True)
    creating.add_argument("--url", required=True, help="an http(s) URL on a public address")
    creating.add_argument("--events", default="*", help="comma-separated event types, or * for all (default)")
    creating.add_argument("--description", help="a note saying what the endpoint is for")
    for name, text in (("delete", "delete an endpoint and its delivery log"), ("rotate-secret", "make a new signing secret")):
        command = webhook_commands.add_parser(name, help=text)
        command.add_argument("--org", required=True)
        command.add_argument("endpoint_id")
    webhooks.set_defaults(run=cmd_webhooks)

    licenses = commands.add_parser("licenses", help="license keys")
    license_commands = licenses.add_subparsers(dest="licenses_command", required=True)
    importing = license_commands.add_parser(
        "import", help="import license keys from another system: a CSV with columns key, email, product, activations"
    )
    importing.add_argument("file", help="the CSV file (a header row: key,email,product,activations)")
    importing.add_argument("--org", required=True, help="the organization the keys belong to")
    importing.set_defaults(run=cmd_licenses_import)

    plugins = commands.add_parser("plugins", help="list loaded plugins, their hooks and settings")
    plugins.set_defaults(run=cmd_plugins)

    email = commands.add_parser("email", help="email tools")
    email_commands = email.add_subparsers(dest="email_command", required=True)
    preview = email_commands.add_parser("preview", help="render an email template with sample data")
    preview.add_argument("template", help="delivery, signin, webhook_disabled or console_invite")
    preview.add_argument("--html", metavar="FILE", help="also write the HTML version to FILE")
    preview.set_defaults(run=cmd_email_preview)

    upload = commands.add_parser("upload", help="upload a folder as a new product version")
    upload.add_argument("product_id")
    upload.add_argument("version")
    upload.add_argument("folder")
    upload.add_argument("--changelog", default="")
    upload.add_argument("--activate", action="store_true", help="make it the product's active version when done")
    upload.add_argument(
        "--notify", action="store_true", help="with --activate: email every buyer entitled to the new version (once each)"
    )
    upload.add_argument("--note", default="", help="with --notify: a note from the shop in the update email")
    upload.add_argument("--api-url", help="the hub's URL (HUB_API_URL, default HUB_PUBLIC_URL)")
    upload.add_argument("--api-key", help="an API key (HUB_API_KEY)")
    upload.set_defaults(run=cmd_upload)
    return parser


def main(argv: list[str] | None = None) -> int:
    from hub.logs import guard_server_logs

    guard_server_logs()  # every command's logs (the worker's too) hold no secret
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except MISCONFIGURATION as problem:
        print(f"continuata-hub: {problem}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
