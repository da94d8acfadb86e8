"""Every error, in the envelope of the surface it happened on.

One handler for the whole app: it turns the core's :class:`HubError`,
Litestar's own HTTP exceptions, and anything unexpected into the answer of
the surface the request was for. The main API answers
``{"success": false, "error": "<message>"}``; the download pages answer HTML
or JSON (by ``Accept``). Unexpected errors are logged with their traceback
and answered with a plain 500 that reveals nothing; a database that cannot
be reached for a moment (PostgreSQL restarting) is a 503 with
``Retry-After``, logged as a warning.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from hub.errors import HubError

log = logging.getLogger("hub")

ErrorRenderer = Callable[[Request, int, str, list[dict[str, Any]]], Response]
"""(request, status, message, field problems) → the surface's response."""

class ErrorBody(msgspec.Struct):
    """The main API's error envelope (and the download pages' JSON errors):
    ``success`` is always false, ``error`` says what went wrong in words
    meant for the integrator. Declared in the schema with
    :func:`hub.api.openapi.errors`."""

    success: bool
    error: str


def main_api_error(request: Request, status: int, message: str, problems: list[dict[str, Any]]) -> Response:
    return Response({"success": False, "error": message}, status_code=status)


def _validation_problems(exc: ValidationException) -> list[dict[str, Any]]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    return [p for p in extra if isinstance(p, dict)]


#: What PostgreSQL answers for text it cannot store (a NUL character, a byte
#: sequence that is not UTF-8), by SQLSTATE: input the edge should have
#: refused, answered as the client's mistake rather than a server error.
UNSTORABLE_TEXT = {"22021": "character_not_in_repertoire", "22P05": "untranslatable_character"}


def _unstorable_text(exc: Exception) -> bool:
    return getattr(exc, "sqlstate", None) in UNSTORABLE_TEXT


DATABASE_AWAY = "The service is unavailable for a moment; try again"
RETRY_AFTER_SECONDS = 5


@functools.cache
def _connection_failures() -> tuple[type[BaseException], ...]:
    import asyncpg

    # Refused or lost connections, "the database system is shutting down /
    # starting up", a connection ended under a statement (a restart); and
    # asyncpg's InternalClientError ("cannot switch to state ...; another
    # operation is in progress"), what a pooled connection whose server has
    # just ended it raises before asyncpg has noticed the end.
    return (ConnectionError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
            asyncpg.exceptions.OperatorInterventionError, asyncpg.InternalClientError)


def _database_away(exc: Exception) -> bool:
    """The database could not be reached or ended the connection (PostgreSQL
    restarting): not the request's fault nor a bug, a moment to wait."""
    return isinstance(exc, _connection_failures()) or str(getattr(exc, "sqlstate", "")).startswith("08")


def _describe(exc: Exception) -> tuple[int, str, list[dict[str, Any]]]:
    if _database_away(exc):
        log.warning("The database is unreachable: %s: %s", type(exc).__name__, exc)
        return 503, DATABASE_AWAY, []
    if _unstorable_text(exc):
        log.warning("Refused text the database cannot store: %s", exc)
        return 422, "The request holds text that cannot be stored (a NUL character?)", []
    if isinstance(exc, HubError):
        problems = [{"key": exc.field, "message": exc.message}] if exc.field else []
        return exc.status_code, exc.message, problems
    if isinstance(exc, ValidationException):
        problems = _validation_problems(exc)
        if problems:
            text = "; ".join(
                f"{p.get('key')}: {p.get('message')}" if p.get("key") else str(p.get("message")) for p in problems
            )
            return 422, f"Invalid request: {text}", problems
        detail = exc.detail if exc.detail and not exc.detail.startswith("Validation failed") else ""
        return 400, detail or "The request body is not valid JSON", []
    if isinstance(exc, HTTPException):
        status = exc.status_code
        if status == 404:
            return 404, "Not found", []
        if status == 405:
            return 405, "Method not allowed", []
        if status >= 500:
            log.error("HTTP %s raised", status, exc_info=exc)
            return status, "Internal server error", []
        return status, exc.detail or "Bad request", []
    log.exception("Unhandled error", exc_info=exc)
    return 500, "Internal server error", []


def error_handler(renderers: dict[str, ErrorRenderer]) -> Callable[[Request, Exception], Response]:
    """The app's exception handler: each surface answers errors under its
    path prefix; the longest matching prefix wins, so ``/api/v1`` can answer
    differently from ``/api``. Other paths get the main API's envelope."""
    ordered = sorted(renderers.items(), key=lambda item: len(item[0]), reverse=True)

    def handle_error(request: Request, exc: Exception) -> Response:
        status, message, problems = _describe(exc)
        path = request.scope.get("path", "")
        renderer = next(
            (r for prefix, r in ordered if path == prefix or path.startswith(prefix.rstrip("/") + "/")),
            main_api_error,
        )
        response = renderer(request, status, message, problems)
        if isinstance(exc, HTTPException) and exc.headers:
            response.headers.update(exc.headers)
        if message == DATABASE_AWAY:
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    return handle_error
