"""The v2 product downloads surface (``/api/v2``), being written."""

from __future__ import annotations

from litestar import Request, Response

ROUTES: list = []


def v2_error(request: Request, status: int, message: str, problems: list) -> Response:
    """Errors in the v2 envelope: ``success``, ``status``, ``context``, ``errors``."""
    errors = [{"name": p.get("key") or "", "message": p.get("message") or message, "ref": "error.invalid"} for p in problems] or [
        {"name": "", "message": message, "ref": "error.invalid"}
    ]
    return Response({"success": False, "status": status, "context": "data", "errors": errors}, status_code=status)
