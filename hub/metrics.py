"""Prometheus metrics: what this process served, and what the database holds.

Two kinds of figures, and the difference matters with several processes:

- **Per process** (counters in this module's registry): HTTP requests by
  route template, method and status, and signed webhook events received, by
  provider and outcome (stored or duplicate). Each ``serve`` process counts its own; scrape every process (each
  on its own address) and let Prometheus add them up, ``sum by (route)``.
- **From the database** (read at each scrape, the same from every process):
  downloads started, bytes served, the outbox's and the payment inbox's
  depth and age (the inbox by status: what the worker processed or gave up on).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

# ``*_created`` series double the output and say nothing a scraper needs.
disable_created_metrics()
REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "hub_http_requests",
    "HTTP requests answered by this process, by route template, method and status.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
WEBHOOK_EVENTS = Counter(
    "hub_webhook_events",
    "Signed webhook events received by this process: stored (for the worker) or duplicate (a replay).",
    ["provider", "outcome"],
    registry=REGISTRY,
)


def count_requests(app: ASGIApp) -> ASGIApp:
    """ASGI middleware counting each answered request under its route
    template (``/api/products/{product_id:str}``), never its concrete path:
    paths carry ids and secrets, and would make one series per buyer."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        status: dict[str, int | None] = {"code": None}

        async def remember_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await app(scope, receive, remember_status)
        except Exception as error:
            # Raised past the route's own error handling (by a middleware:
            # a refused form, an impossible id): the app's handler answers
            # it with the error's status.
            if status["code"] is None:
                status["code"] = getattr(error, "status_code", 500)
            raise
        finally:
            count_request(scope.get("path_template") or "unmatched", scope["method"], status["code"] or 500)

    return middleware


_request_series: dict[tuple[str, str, int], Counter] = {}


def count_request(route: str, method: str, status: int) -> None:
    """Count one answered request (also for answers sent before routing,
    :mod:`hub.bypasses.page_lane`). Each series' child is looked up once: routes,
    methods and statuses are few, and ``labels()`` checks and locks."""
    key = (route, method, status)
    series = _request_series.get(key)
    if series is None:
        series = _request_series[key] = REQUESTS.labels(route=route, method=method, status=str(status))
    series.inc()


@dataclass
class DatabaseFigures:
    """What the database says at scrape time (see :func:`read_database_figures`)."""

    downloads: int = 0
    bytes_served: int = 0
    outbox_pending: int = 0
    outbox_failed: int = 0
    outbox_oldest_seconds: float = 0.0
    inbox_by_status: dict[str, int] | None = None
    inbox_oldest_seconds: float = 0.0


class _DatabaseCollector(Collector):
    """Hands the figures of the current scrape to prometheus_client."""

    def __init__(self, figures: DatabaseFigures) -> None:
        self.figures = figures

    def collect(self) -> Iterable:
        f = self.figures
        yield CounterMetricFamily("hub_downloads", "Download sessions started (all processes).", value=f.downloads)
        yield CounterMetricFamily("hub_download_bytes", "Bytes served to buyers (all processes).", value=f.bytes_served)
        depth = GaugeMetricFamily("hub_outbox_messages", "Emails in the outbox, by status.", labels=["status"])
        depth.add_metric(["pending"], f.outbox_pending)
        depth.add_metric(["failed"], f.outbox_failed)
        yield depth
        yield GaugeMetricFamily(
            "hub_outbox_oldest_pending_seconds",
            "Age of the oldest email still waiting to be sent (0 when none waits).",
            value=f.outbox_oldest_seconds,
        )
        inbox = GaugeMetricFamily(
            "hub_inbox_events", "Payment webhook events in the inbox, by status.", labels=["status"]
        )
        for status in ("pending", "processing", "done", "failed"):
            inbox.add_metric([status], (f.inbox_by_status or {}).get(status, 0))
        yield inbox
        yield GaugeMetricFamily(
            "hub_inbox_oldest_pending_seconds",
            "Age of the oldest payment event still waiting to be processed (0 when none waits).",
            value=f.inbox_oldest_seconds,
        )


async def read_database_figures() -> DatabaseFigures:
    """Downloads, bytes, outbox and inbox figures, in a few small aggregate queries."""
    from piccolo.query.functions.aggregate import Count, Sum

    from hub.clock import as_aware, utcnow
    from hub.tables import DownloadSession, InboxEvent, OutboxMessage

    sessions = await DownloadSession.select(Count(alias="n"), Sum(DownloadSession.bytes_sent, alias="bytes")).first()
    pending = await OutboxMessage.count().where(OutboxMessage.status == "pending")
    failed = await OutboxMessage.count().where(OutboxMessage.status == "failed")
    oldest = (
        await OutboxMessage.select(OutboxMessage.created_at)
        .where(OutboxMessage.status == "pending")
        .order_by(OutboxMessage.created_at)
        .first()
    )
    age = (utcnow() - as_aware(oldest["created_at"])).total_seconds() if oldest else 0.0
    inbox_rows = await InboxEvent.select(InboxEvent.status, Count(alias="n")).group_by(InboxEvent.status)
    oldest_event = (
        await InboxEvent.select(InboxEvent.received_at)
        .where(InboxEvent.status == "pending")
        .order_by(InboxEvent.received_at)
        .first()
    )
    inbox_age = (utcnow() - as_aware(oldest_event["received_at"])).total_seconds() if oldest_event else 0.0
    return DatabaseFigures(
        downloads=int(sessions["n"] or 0) if sessions else 0,
        bytes_served=int(sessions["bytes"] or 0) if sessions else 0,
        outbox_pending=pending,
        outbox_failed=failed,
        outbox_oldest_seconds=max(age, 0.0),
        inbox_by_status={row["status"]: int(row["n"]) for row in inbox_rows},
        inbox_oldest_seconds=max(inbox_age, 0.0),
    )


def exposition(figures: DatabaseFigures) -> bytes:
    """The Prometheus text format of this process's counters and ``figures``."""
    from prometheus_client import generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_DatabaseCollector(figures))
    return generate_latest(REGISTRY) + generate_latest(registry)


def count_webhook_event(provider: str, outcome: str) -> None:
    """Count one signed webhook event received: ``stored`` or ``duplicate``."""
    WEBHOOK_EVENTS.labels(provider=provider, outcome=outcome).inc()


