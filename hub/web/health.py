"""Endpoints for load balancers, orchestrators and Prometheus.

- ``GET /healthz``: the process is alive (answers without touching anything).
- ``GET /readyz``: it can serve: the database answers, the blob store
  answers, and every migration this code knows has been applied; 503 with
  the failing checks otherwise. Take a process out of rotation on 503.
- ``GET /metrics``: Prometheus text format (see :mod:`hub.metrics`), only
  when ``HUB_METRICS_TOKEN`` is set, and only with that bearer token.
"""

from __future__ import annotations

import hmac
import importlib
import logging
import pkgutil
from functools import cache

from litestar import Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_401_UNAUTHORIZED, HTTP_404_NOT_FOUND, HTTP_503_SERVICE_UNAVAILABLE

from hub.api.openapi import PublicOperation
from hub.api.schemas import Health, Readiness
from hub.context import Hub
from hub.metrics import exposition, read_database_figures

log = logging.getLogger("hub.health")
READINESS_PROBE_KEY = "readyz/probe"


@get("/healthz", summary="The process is alive", tags=["Operations"], operation_id="getHealth",
     operation_class=PublicOperation)
async def healthz() -> Health:
    return Health(status="ok")


@cache
def known_migrations() -> frozenset[str]:
    """The ids of the migrations shipped in ``hub.migrations``."""
    import hub.migrations

    ids = set()
    for module in pkgutil.iter_modules(hub.migrations.__path__):
        ids.add(importlib.import_module(f"hub.migrations.{module.name}").ID)
    return frozenset(ids)


async def _check_database() -> str | None:
    from piccolo.apps.migrations.tables import Migration

    applied = {row["name"] for row in await Migration.select(Migration.name).where(Migration.app_name == "hub")}
    missing = known_migrations() - applied
    return f"{len(missing)} migration(s) not applied: run continuata-hub migrate" if missing else None


async def _check_blobs(hub: Hub) -> str | None:
    await hub.blobs.stat(READINESS_PROBE_KEY)
    return None


@get(
    "/readyz",
    summary="The process can serve: database, blob store and migrations are ready",
    tags=["Operations"],
    operation_id="getReadiness",
    operation_class=PublicOperation,
    responses={
        200: ResponseSpec(data_container=Readiness, generate_examples=False, description="Ready"),
        503: ResponseSpec(data_container=Readiness, generate_examples=False, description="Not ready: the failing checks"),
    },
)
async def readyz(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    checks: dict[str, str] = {}
    for name, check in (("database", _check_database()), ("blobStore", _check_blobs(hub))):
        try:
            problem = await check
        except Exception as exc:  # any failure means "not ready"; the reason is logged and shown
            log.warning("Readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            problem = f"unreachable: {type(exc).__name__}"
        checks[name] = problem or "ok"
    ready = all(v == "ok" for v in checks.values())
    return Response(
        {"status": "ready" if ready else "unready", "checks": checks},
        status_code=HTTP_200_OK if ready else HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Cache-Control": "no-store"},
    )


@get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    token = hub.settings.metrics_token
    if not token:
        return Response({"error": "Not found"}, status_code=HTTP_404_NOT_FOUND)
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return Response(
            {"error": "/metrics needs Authorization: Bearer <HUB_METRICS_TOKEN>"},
            status_code=HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": "Bearer"},
        )
    figures = await read_database_figures()
    return Response(
        exposition(figures),
        media_type="text/plain; version=0.0.4",
        headers={"Cache-Control": "no-store"},
    )


ROUTES = [healthz, readyz, metrics]
