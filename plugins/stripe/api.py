"""What the plugin asks Stripe's API, through the stripe library.

Webhook payloads leave out a Checkout Session's line items, and a refunded
charge does not name the session it was paid through; :class:`StripeApi`
reads both, when the worker processes an event (never in the webhook's request). One client (one connection pool) serves the app's lifetime; it
is opened on first use and closed when the hub stops.
"""

from __future__ import annotations

import logging
from typing import Any

import stripe

from .config import API_KEY, StripeConfig

log = logging.getLogger("hub.plugins.stripe")

# The calls are made by the worker, not while Stripe waits for an answer;
# the inbox retries an event whose call failed, with backoff.
TIMEOUT_SECONDS = 10
NETWORK_RETRIES = 1


class StripeUnavailable(Exception):
    """Stripe's API could not answer what an event needs. The event stays
    in the inbox and is processed again later (with backoff)."""


class StripeApi:
    """The few reads of Stripe's API the webhook needs."""

    def __init__(self, config: StripeConfig) -> None:
        self._config = config
        self._http: stripe.HTTPXClient | None = None
        self._client: stripe.StripeClient | None = None

    @property
    def configured(self) -> bool:
        return bool(self._config.api_key)

    def _stripe(self, why: str) -> stripe.StripeClient:
        if not self._config.api_key:
            raise StripeUnavailable(f"Set {API_KEY} so the hub can ask Stripe for {why}")
        if self._client is None:
            self._http = stripe.HTTPXClient(timeout=TIMEOUT_SECONDS)
            self._client = stripe.StripeClient(
                self._config.api_key,
                base_addresses={"api": self._config.api_base},
                http_client=self._http,
                max_network_retries=NETWORK_RETRIES,
            )
        return self._client

    async def line_items(self, session_id: str) -> list[dict[str, Any]]:
        """Every line item of a Checkout Session, each with its price and the
        price's product expanded (their metadata map items to products)."""
        client = self._stripe(f"the line items of Checkout Session {session_id}")
        try:
            page = await client.v1.checkout.sessions.line_items.list_async(
                session_id, params={"limit": 100, "expand": ["data.price.product"]}
            )
            return [item.to_dict() async for item in page.auto_paging_iter()]
        except stripe.StripeError as problem:
            raise self._unavailable(f"the line items of Checkout Session {session_id}", problem) from problem

    async def checkout_session_for_payment_intent(self, payment_intent: str) -> str | None:
        """The id of the Checkout Session that created ``payment_intent``, or None."""
        client = self._stripe(f"the Checkout Session of payment {payment_intent}")
        try:
            page = await client.v1.checkout.sessions.list_async(params={"payment_intent": payment_intent, "limit": 1})
        except stripe.StripeError as problem:
            raise self._unavailable(f"the Checkout Session of payment {payment_intent}", problem) from problem
        sessions = page.to_dict().get("data") or []
        return sessions[0]["id"] if sessions else None

    @staticmethod
    def _unavailable(what: str, problem: stripe.StripeError) -> StripeUnavailable:
        # Stripe's message goes to the log only: the answer goes back to
        # whoever posted the webhook, and names just the kind of failure.
        log.warning("Stripe API: could not read %s: %s", what, problem)
        return StripeUnavailable(
            f"Could not read {what} from Stripe's API ({type(problem).__name__}); "
            "the event stays in the inbox and is processed again later"
        )

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close_async()
        self._http = self._client = None
