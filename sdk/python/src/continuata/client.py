"""``Client`` and ``AsyncClient``: the hub's address and key, retries, the
``org_id`` check, and the resources (``client.products``, …).

Both share every operation (see :mod:`continuata.resources`); they differ
only in how a :class:`~continuata._calls.Call` is sent.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import Any

import httpx

from continuata import models
from continuata._calls import Call, data_of
from continuata.errors import APIConnectionError, APIError, ContinuataError, OrganizationMismatchError, error_for_status
from continuata.models import from_api
from continuata.resources import (
    Organization,
    Products,
    Purchases,
    Reports,
    Uploads,
    Versions,
    WebhookEndpoints,
    download_url_call,
)

__version__ = "0.1.0"
RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


class _BaseClient:
    """Settings and answer handling common to both clients."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        org_id: str | None = None,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
    ) -> None:
        self.api_key = api_key or os.environ.get("CONTINUATA_API_KEY")
        if not self.api_key:
            raise ContinuataError("An API key is needed: pass api_key= or set CONTINUATA_API_KEY")
        base_url = base_url or os.environ.get("CONTINUATA_API_URL")
        if not base_url:
            raise ContinuataError("The hub's address is needed: pass base_url= or set CONTINUATA_API_URL (e.g. http://127.0.0.1:8000)")
        self.base_url = base_url.rstrip("/")
        self.org_id = org_id
        self.timeout = timeout
        self.max_retries = max_retries
        self._org_checked = org_id is None
        self.products = Products(self)
        self.versions = Versions(self)
        self.uploads = Uploads(self)
        self.purchases = Purchases(self)
        self.reports = Reports(self)
        self.webhook_endpoints = WebhookEndpoints(self)
        self.organization = Organization(self)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}", "User-Agent": f"continuata-python/{__version__}"}

    def _me_call(self) -> Call:
        return Call("GET", "/api/me", parse=lambda data: from_api(models.Me, data))

    def _check_org(self, me: models.Me) -> None:
        actual = me.organization.id if me.organization else ""
        if actual != self.org_id:
            raise OrganizationMismatchError(
                f"This API key belongs to organization {actual!r}, not {self.org_id!r}: check org_id and CONTINUATA_API_KEY"
            )
        self._org_checked = True

    @staticmethod
    def _answer(call: Call, response: httpx.Response) -> Any:
        if response.is_success:
            if call.text:
                return call.parse(response.text)
            return call.parse(data_of(response.json()) if response.content else None)
        try:
            payload = response.json()
        except ValueError:
            payload = None
        message = payload.get("error") if isinstance(payload, dict) else None
        if not isinstance(message, str):
            message = response.text[:500] or response.reason_phrase
        retry_after = response.headers.get("retry-after")
        raise error_for_status(
            response.status_code, message, payload, float(retry_after) if retry_after and retry_after.isdigit() else None
        )

    def _request_args(self, call: Call) -> dict[str, Any]:
        """httpx's arguments for ``call``, with the key and any headers of the call's own."""
        args: dict[str, Any] = {"params": call.params, "headers": {**self._headers(), **call.headers}}
        if call.content is not None:
            args["content"] = call.content
        elif call.json is not None or call.method in ("POST", "PATCH", "PUT"):
            args["json"] = call.json if call.json is not None else {}
        return args


class _Attempts:
    """The retry policy of one call, sans-I/O: both clients send the request
    and sleep in their own way, and ask this object what to do next, so the
    policy exists once.

    :meth:`wait_after` is told each try's outcome (the response, or the
    transport error) and answers the seconds to wait before trying again,
    or ``None`` when that outcome is final; :meth:`result` then reads it.
    """

    def __init__(self, client: _BaseClient, call: Call) -> None:
        self.client = client
        self.call = call
        self.count = 0
        self.outcome: httpx.Response | httpx.TransportError | None = None

    def wait_after(self, outcome: httpx.Response | httpx.TransportError) -> float | None:
        """Seconds to wait before another try, or ``None`` to stop.

        A request that never reached the hub (connect errors) and a 429 are
        always safe to repeat; a lost answer or a 5xx only for idempotent calls.
        """
        self.outcome = outcome
        if self.count >= self.client.max_retries:
            return None
        wait = self._wait(outcome)
        if wait is not None:
            self.count += 1
        return wait

    def _wait(self, outcome: httpx.Response | httpx.TransportError) -> float | None:
        delay = min(8.0, 0.5 * 2**self.count) * (0.5 + random.random() / 2)
        if isinstance(outcome, httpx.TransportError):
            if isinstance(outcome, (httpx.ConnectError, httpx.ConnectTimeout)) or self.call.repeatable:
                return delay
            return None
        if outcome.status_code == 429:
            advice = outcome.headers.get("retry-after", "")
            return min(float(advice), 30.0) if advice.isdigit() else delay
        if outcome.status_code in RETRYABLE_STATUS and self.call.repeatable:
            return delay
        return None

    def result(self) -> Any:
        """The call's answer from the final outcome, or its error raised."""
        if isinstance(self.outcome, httpx.TransportError):
            raise APIConnectionError(f"Cannot reach the hub at {self.client.base_url}: {self.outcome}") from self.outcome
        assert self.outcome is not None, "result() before any try"
        return self.client._answer(self.call, self.outcome)


class Client(_BaseClient):
    """A blocking client of the hub's API.

    >>> client = continuata.Client(api_key="ct_key_…", org_id="audio-company", base_url="http://127.0.0.1:8000")
    >>> token = client.products.create_token("epic-drums-v1", customer_email="buyer@example.com")
    """

    def __init__(self, *, http_client: httpx.Client | None = None, **settings: Any) -> None:
        super().__init__(**settings)
        self._http = http_client or httpx.Client(timeout=self.timeout)

    def me(self) -> models.Me:
        """Who the API key is: its organization and role (and, with ``org_id``, the check of it)."""
        me = self._send(self._me_call())
        if not self._org_checked:
            self._check_org(me)
        return me

    def generate_download_url(self, product_id: str, *, version: str | None = None) -> models.DownloadUrl:
        """A download link valid 24 hours for the product's active (or given) version."""
        return self._run(download_url_call(product_id, version))

    def _run(self, call: Call) -> Any:
        if not self._org_checked:
            self._check_org(self._send(self._me_call()))
        return self._send(call)

    def _send(self, call: Call) -> Any:
        attempts = _Attempts(self, call)
        while (wait := attempts.wait_after(self._try(call))) is not None:
            time.sleep(wait)
        return attempts.result()

    def _try(self, call: Call) -> httpx.Response | httpx.TransportError:
        try:
            return self._http.request(call.method, self.base_url + call.path, **self._request_args(call))
        except httpx.TransportError as problem:
            return problem

    def _paginate(self, make_call: Callable[[int, int], Call], page_size: int) -> Iterator[Any]:
        offset = 0
        while True:
            page = self._run(make_call(page_size, offset))
            yield from page.items
            offset += len(page.items)
            if not page.pagination.has_more or not page.items:
                return

    def _drive(self, steps: Generator[Call, Any, Any]) -> Any:
        result: Any = None
        error: Exception | None = None
        while True:
            try:
                call = steps.throw(error) if error is not None else steps.send(result)
            except StopIteration as done:
                return done.value
            try:
                result, error = self._run(call), None
            except APIError as problem:
                result, error = None, problem

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(_BaseClient):
    """The same API for asyncio: every method is awaited, lists are ``async for``.

    >>> async with continuata.AsyncClient(org_id="audio-company") as client:
    ...     async for product in client.products.list():
    ...         print(product.name)
    """

    def __init__(self, *, http_client: httpx.AsyncClient | None = None, **settings: Any) -> None:
        super().__init__(**settings)
        self._http = http_client or httpx.AsyncClient(timeout=self.timeout)
        self._org_lock = asyncio.Lock()

    async def me(self) -> models.Me:
        me = await self._send(self._me_call())
        if not self._org_checked:
            self._check_org(me)
        return me

    async def generate_download_url(self, product_id: str, *, version: str | None = None) -> models.DownloadUrl:
        return await self._run(download_url_call(product_id, version))

    async def _run(self, call: Call) -> Any:
        if not self._org_checked:
            async with self._org_lock:
                if not self._org_checked:
                    self._check_org(await self._send(self._me_call()))
        return await self._send(call)

    async def _send(self, call: Call) -> Any:
        attempts = _Attempts(self, call)
        while (wait := attempts.wait_after(await self._try(call))) is not None:
            await asyncio.sleep(wait)
        return attempts.result()

    async def _try(self, call: Call) -> httpx.Response | httpx.TransportError:
        try:
            return await self._http.request(call.method, self.base_url + call.path, **self._request_args(call))
        except httpx.TransportError as problem:
            return problem

    async def _paginate(self, make_call: Callable[[int, int], Call], page_size: int) -> AsyncIterator[Any]:
        offset = 0
        while True:
            page = await self._run(make_call(page_size, offset))
            for item in page.items:
                yield item
            offset += len(page.items)
            if not page.pagination.has_more or not page.items:
                return

    async def _drive(self, steps: Generator[Call, Any, Any]) -> Any:
        result: Any = None
        error: Exception | None = None
        while True:
            try:
                call = steps.throw(error) if error is not None else steps.send(result)
            except StopIteration as done:
                return done.value
            try:
                result, error = await self._run(call), None
            except APIError as problem:
                result, error = None, problem

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
