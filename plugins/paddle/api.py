"""Paddle's API, as far as the hub needs it: a customer's email."""

from __future__ import annotations

import logging
from urllib.parse import quote

import httpx

from .config import PaddleConfig

log = logging.getLogger("hub.plugins.paddle")
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class PaddleApi:
    def __init__(self, config: PaddleConfig) -> None:
        self.config = config

    async def customer_email(self, customer_id: str) -> tuple[str, str]:
        """``(email, "")``, or ``("", why not)`` when Paddle cannot tell (no
        key, unreachable, refused): the caller keeps the purchase waiting."""
        if not self.config.api_key:
            return "", "HUB_PADDLE_API_KEY is not set"
        url = f"{self.config.api_base}/customers/{quote(customer_id, safe='')}"
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT) as http:
                response = await http.get(url, headers={"Authorization": f"Bearer {self.config.api_key}"})
        except httpx.HTTPError as problem:
            return "", f"Paddle's API could not be reached ({type(problem).__name__})"
        if response.status_code != 200:
            return "", f"Paddle answered {response.status_code} for customer {customer_id}"
        try:
            data = response.json().get("data")
        except ValueError:
            data = None
        email = data.get("email") if isinstance(data, dict) else None
        if not isinstance(email, str) or not email:
            return "", f"Paddle's customer {customer_id} has no email"
        return email, ""
