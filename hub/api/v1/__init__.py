"""The JSON:API v1 catalog surface (``/api/v1``), being written."""

from __future__ import annotations

from litestar import Request, Response

ROUTES: list = []


def jsonapi_error(request: Request, status: int, message: str, problems: list) -> Response:
    """Errors in JSON:API's ``errors`` envelope."""
    errors = [{"detail": message, "status": str(status), "title": "Error"}]
    return Response({"jsonapi": {"version": "1.0"}, "errors": errors}, status_code=status, media_type="application/vnd.api+json")
