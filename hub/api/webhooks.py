"""``/api/webhook-endpoints``: where the shop's systems receive the hub's events (admin keys)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter

from hub import resources
from hub.api.openapi import KEYED, errors
from hub.api.schemas import (
    DeletedAnswer,
    DeliveryPageAnswer,
    EndpointAnswer,
    EndpointPageAnswer,
    RedeliveredAnswer,
    answer,
)
from hub.context import Hub
from hub.inputs import page_bounds
from hub.services import webhook_endpoints as endpoint_service
from hub.services.accounts import Principal

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType


class EndpointCreate(msgspec.Struct):
    url: str
    events: list[str]
    description: str | None = None


class EndpointUpdate(msgspec.Struct):
    """Only the fields present change."""

    url: str | Unset = UNSET
    events: list[str] | Unset = UNSET
    description: str | None | Unset = UNSET
    status: str | Unset = UNSET


class Redeliver(msgspec.Struct, rename="camel"):
    """One event (``eventId``) or every event since a time (``since``)."""

    event_id: str | None = None
    since: datetime | None = None


class WebhookEndpointController(Controller):
    path = "/api/webhook-endpoints"
    tags = ["Webhooks"]

    @get("/", summary="List the webhook endpoints (admin)", operation_id="listWebhookEndpoints", responses=errors(*KEYED))
    async def list_endpoints(
        self,
        principal: Principal,
        limit: int = Parameter(default=50, description="Results per page (max 100)"),
        offset: int = Parameter(default=0, description="Pagination offset"),
    ) -> EndpointPageAnswer:
        principal.require("admin")
        limit, offset = page_bounds(limit, offset)
        rows, total = await endpoint_service.list_endpoints(principal.org, limit=limit, offset=offset)
        return answer(
            EndpointPageAnswer,
            {
                "endpoints": [resources.webhook_endpoint(r) for r in rows],
                "pagination": resources.pagination(total, limit, offset),
            },
        )

    @post(
        "/",
        summary="Register a webhook endpoint; its signing secret is shown this once (admin)",
        operation_id="createWebhookEndpoint",
        responses=errors(*KEYED, 409),
    )
    async def create_endpoint(self, hub: Hub, principal: Principal, data: EndpointCreate) -> EndpointAnswer:
        principal.require("admin")
        row, secret = await endpoint_service.create_endpoint(
            hub, principal.org, url=data.url, events=data.events, description=data.description
        )
        return answer(EndpointAnswer, {"endpoint": resources.webhook_endpoint(row, secret)})

    @get(
        "/{endpoint_id:str}",
        summary="One webhook endpoint (admin)",
        operation_id="getWebhookEndpoint",
        responses=errors(*KEYED, 404),
    )
    async def get_endpoint(self, principal: Principal, endpoint_id: str) -> EndpointAnswer:
        principal.require("admin")
        row = await endpoint_service.find_endpoint(principal.org, endpoint_id)
        return answer(EndpointAnswer, {"endpoint": resources.webhook_endpoint(row)})

    @patch(
        "/{endpoint_id:str}",
        summary="Change an endpoint's url, events, description or status (admin)",
        operation_id="updateWebhookEndpoint",
        responses=errors(*KEYED, 404, 409),
    )
    async def update_endpoint(
        self, hub: Hub, principal: Principal, endpoint_id: str, data: EndpointUpdate
    ) -> EndpointAnswer:
        principal.require("admin")
        changes: dict[str, Any] = {
            name: getattr(data, name) for name in ("url", "events", "description", "status") if getattr(data, name) is not UNSET
        }
        row = await endpoint_service.update_endpoint(hub, principal.org, endpoint_id, changes)
        return answer(EndpointAnswer, {"endpoint": resources.webhook_endpoint(row)})

    @delete(
        "/{endpoint_id:str}",
        summary="Delete an endpoint and its delivery log (admin)",
        status_code=200,
        operation_id="deleteWebhookEndpoint",
        responses=errors(*KEYED, 404),
    )
    async def delete_endpoint(self, hub: Hub, principal: Principal, endpoint_id: str) -> DeletedAnswer:
        principal.require("admin")
        await endpoint_service.delete_endpoint(hub, principal.org, endpoint_id)
        return answer(DeletedAnswer, {"deleted": endpoint_id})

    @get(
        "/{endpoint_id:str}/deliveries",
        summary="The endpoint's delivery log, newest first (admin)",
        operation_id="listWebhookDeliveries",
        responses=errors(*KEYED, 404),
    )
    async def list_deliveries(
        self,
        principal: Principal,
        endpoint_id: str,
        limit: int = Parameter(default=50, description="Results per page (max 100)"),
        offset: int = Parameter(default=0, description="Pagination offset"),
    ) -> DeliveryPageAnswer:
        principal.require("admin")
        limit, offset = page_bounds(limit, offset)
        rows, total = await endpoint_service.list_deliveries(principal.org, endpoint_id, limit=limit, offset=offset)
        return answer(
            DeliveryPageAnswer,
            {
                "deliveries": [resources.webhook_delivery(r) for r in rows],
                "pagination": resources.pagination(total, limit, offset),
            },
        )

    @post(
        "/{endpoint_id:str}/redeliver",
        summary="Send one event, or every event since a time, again (admin)",
        status_code=200,
        operation_id="redeliverWebhookEvents",
        responses=errors(*KEYED, 404),
    )
    async def redeliver(self, hub: Hub, principal: Principal, endpoint_id: str, data: Redeliver) -> RedeliveredAnswer:
        principal.require("admin")
        count = await endpoint_service.redeliver(hub, principal.org, endpoint_id, event_id=data.event_id, since=data.since)
        return answer(RedeliveredAnswer, {"redelivered": count})

    @post(
        "/{endpoint_id:str}/rotate-secret",
        summary="A new signing secret, shown this once (admin)",
        status_code=200,
        operation_id="rotateWebhookSecret",
        responses=errors(*KEYED, 404),
    )
    async def rotate_secret(self, hub: Hub, principal: Principal, endpoint_id: str) -> EndpointAnswer:
        principal.require("admin")
        row, secret = await endpoint_service.rotate_secret(hub, principal.org, endpoint_id)
        return answer(EndpointAnswer, {"endpoint": resources.webhook_endpoint(row, secret)})
