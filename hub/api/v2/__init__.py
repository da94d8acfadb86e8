"""The v2 product downloads surface (``/api/v2``).

Every answer carries ``success`` and ``status``; an error also carries
``context`` (``"data"``: the request's data object) and ``errors``, each
with the ``name`` of the property at fault (relative to ``data``), a
human-readable ``message`` and a ``ref`` such as ``error.required``. See
``docs/api-v2.md``.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response

from hub.api.v2.downloads import ProductDownloadController

ROUTES: list = [ProductDownloadController]

REFS_BY_STATUS = {
    400: "error.malformed",
    401: "error.unauthorized",
    403: "error.forbidden",
    404: "error.not-found",
    405: "error.method-not-allowed",
    409: "error.not-unique",
    413: "error.too-large",
    429: "error.rate-limited",
}
REQUIRED = re.compile(r"\bis required\b")


def _status(status: int) -> int:
    # The seed answers every data object that could not be stored with 422;
    # the core's Conflict (a name already taken) is one of those.
    return 422 if status == 409 else status


def _ref(status: int, problem: dict[str, Any], message: str) -> str:
    """A problem's ``ref``: its own when the core gave one, else from the
    status (a Conflict is ``error.not-unique``) or, for a 422, the core's
    wording ("<field> is required")."""
    if problem.get("ref"):
        return str(problem["ref"])
    if status >= 500:
        return "error.internal"
    if status in REFS_BY_STATUS:
        return REFS_BY_STATUS[status]
    if status == 422 and REQUIRED.search(str(problem.get("message") or message)):
        return "error.required"
    return "error.invalid"


def v2_error(request: Request, status: int, message: str, problems: list) -> Response:
    """Errors in the v2 envelope: ``success``, ``status``, ``context``, ``errors``."""
    problems = problems or [{"key": "", "message": message}]
    errors = [
        {"name": p.get("key") or "", "message": p.get("message") or message, "ref": _ref(status, p, message)}
        for p in problems
    ]
    status = _status(status)
    return Response({"success": False, "status": status, "context": "data", "errors": errors}, status_code=status)
