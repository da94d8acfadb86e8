"""The application factory.

``create_app`` wires the API surfaces, the download pages, the error
envelopes and the OpenAPI schema, and opens the resources (the database,
the blob store) once in the lifespan.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pluggy
from litestar import Litestar, get
from litestar.datastructures import State

from hub import __version__
from hub.api.audit_trail import audit_trail_middleware
from hub.api.buyers import BuyerController
from hub.api.dependencies import api_dependencies
from hub.api.errors import error_handler, main_api_error
from hub.api.integration import IntegrationController
from hub.api.licenses import LicenseController, LicenseSettingsController
from hub.api.me import me
from hub.api.openapi import openapi_assets, openapi_config
from hub.api.organization import OrganizationController
from hub.api.product_mappings import ProductMappingController
from hub.api.products import ProductController
from hub.api.uploads import UploadController
from hub.api.v1 import ROUTES as V1_ROUTES
from hub.api.v1 import jsonapi_error
from hub.api.v2 import ROUTES as V2_ROUTES
from hub.api.v2 import v2_error
from hub.api.webhooks import WebhookEndpointController
from hub.bypasses.mint_lane import MintLane
from hub.bypasses.page_lane import DownloadPageLane
from hub.client_ip import ForwardedClientMiddleware
from hub.console import console_error, console_router
from hub.context import Hub
from hub.db import Database
from hub.logs import guard_server_logs
from hub.metrics import count_requests
from hub.pages import template_environment
from hub.plugins import apply_plugin_settings, check_mailer_choice, choose_mailer, load_plugins, notify
from hub.plugins.tables import piccolo_apps
from hub.requests import HubRequest, refuse_impossible_ids
from hub.sealing import Sealer, secret_key
from hub.services.privacy import run_retention
from hub.services.worker import run_worker
from hub.settings import Settings
from hub.startup import check_secret_key, wait_for_database
from hub.storage import S3Config, create_blob_store
from hub.web.access_log import AccessLog
from hub.web.downloads import DownloadController, download_error
from hub.web.health import ROUTES as HEALTH_ROUTES
from hub.web.my import MyController, my_error
from hub.web.security_headers import secure
from hub.web.shop_assets import ROUTES as SHOP_ASSET_ROUTES
from hub.web.unsubscribe import UnsubscribeController

log = logging.getLogger("hub")


@get("/", include_in_schema=False)
async def index() -> dict:
    return {"name": "Continuata Hub", "version": __version__, "openapi": "/schema/openapi.json"}


def build_hub(settings: Settings, plugins: pluggy.PluginManager | None = None) -> Hub:
    """The hub context for ``settings``; resources are opened by the lifespan."""
    plugins = plugins or load_plugins(settings.plugins)
    settings = apply_plugin_settings(plugins, settings)
    check_mailer_choice(plugins, settings.mailer)
    template_dirs = [Path(d) for dirs in plugins.hook.hub_template_dirs() for d in (dirs or [])]
    s3 = None
    if settings.storage == "s3":
        s3 = S3Config(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            prefix=settings.s3_prefix,
        )
    hub = Hub(
        settings=settings,
        db=Database(settings.database_url),
        blobs=create_blob_store(settings.storage, data_dir=settings.data_dir, s3=s3),
        templates=template_environment(settings.templates_dir, template_dirs),
        plugins=plugins,
        sealer=Sealer(secret_key(settings)),
    )
    for processors in plugins.hook.hub_inbox_processors(hub=hub):
        hub.inbox_processors.update(processors or {})
    return hub


@asynccontextmanager
async def opened(hub: Hub) -> AsyncIterator[Hub]:
    """Open the hub's resources (database, migrated; storage; the mailer),
    tell the plugins, and close it all on the way out. The app's lifespan
    and ``continuata-hub worker`` both run inside it."""
    await wait_for_database(hub.settings.database_url, hub.settings.database_wait_seconds, log.warning)
    async with hub.db:
        await hub.db.migrate(piccolo_apps(hub.plugins))
        await check_secret_key(hub.db, secret_key(hub.settings))
        await hub.blobs.start()
        try:
            mailer_plugin, hub.mailer = await choose_mailer(hub.plugins, hub, hub.settings.mailer)
            if hub.mailer is None:
                log.warning("No mailer: emails wait in the outbox until one is configured (HUB_MAILER, HUB_SMTP_URL)")
            else:
                log.info("Mailer: %s, from plugin %r", hub.mailer, mailer_plugin)
            await notify(hub.plugins, "hub_startup", hub=hub)
            try:
                yield hub
            finally:
                await notify(hub.plugins, "hub_shutdown", hub=hub)
        finally:
            await hub.blobs.close()


def create_app(
    settings: Settings | None = None, *, plugins: pluggy.PluginManager | None = None, access_log: bool = False
) -> Litestar:
    """The hub's ASGI app.

    :param access_log: write a line per request to standard output
        (:mod:`hub.web.access_log`; ``serve`` asks for it).
    :param plugins: a plugin manager to use instead of the one ``HUB_PLUGINS``
        selects (see :func:`hub.plugins.load_plugins`; tests pass chosen plugins).
    """
    settings = settings or Settings.from_env()
    hub = build_hub(settings, plugins)
    guard_server_logs()
    plugin_routes = [route for routes in hub.plugins.hook.hub_routes(hub=hub) for route in (routes or [])]

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with opened(hub):
            stop = asyncio.Event()
            workers = [run_worker(hub, stop), run_retention(hub, stop)] if settings.worker == "inline" else []
            worker = asyncio.gather(*workers) if workers else None
            try:
                yield
            finally:
                stop.set()
                if worker:
                    await worker

    app = Litestar(
        route_handlers=[
            index,
            openapi_assets(),
            *HEALTH_ROUTES,
            ProductController,
            BuyerController,
            UploadController,
            IntegrationController,
            LicenseSettingsController,
            LicenseController,
            me,
            OrganizationController,
            WebhookEndpointController,
            ProductMappingController,
            DownloadController,
            MyController,
            *SHOP_ASSET_ROUTES,
            UnsubscribeController,
            console_router(),
            *V1_ROUTES,
            *V2_ROUTES,
            *plugin_routes,
        ],
        dependencies=api_dependencies(hub),
        exception_handlers={
            Exception: error_handler(
                {
                    "/api": main_api_error,
                    "/api/v1": jsonapi_error,
                    "/api/v2": v2_error,
                    "/download": download_error,
                    "/my": my_error,
                    "/console": console_error,
                }
            ),
        },
        request_class=HubRequest,
        middleware=[count_requests, audit_trail_middleware, refuse_impossible_ids],
        lifespan=[lifespan],
        state=State({"hub": hub}),
        openapi_config=openapi_config(),
        debug=False,
    )
    # Around the router, innermost first: the fast lanes of minting and of
    # the download page (hub.bypasses; HUB_FAST_LANES=off leaves them out),
    # the client's address (read by the lanes, the routes and the server's
    # access log), the security headers of every answer.
    if settings.fast_lanes:
        app.asgi_handler = MintLane(app.asgi_handler, hub)
        app.asgi_handler = DownloadPageLane(app.asgi_handler, hub)
    app.asgi_handler = ForwardedClientMiddleware(app.asgi_handler, trusted=settings.trusted_proxy_networks)
    app = secure(app, hub.templates)
    if access_log:
        app.asgi_handler = AccessLog(app.asgi_handler)
    return app
