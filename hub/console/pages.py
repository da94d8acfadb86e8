"""Rendering console pages, and reading their forms."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from hub.client_ip import client_ip  # noqa: F401  (re-exported for the console modules)
from hub.clock import as_aware, utcnow
from hub.context import Hub

MAX_FORM_FIELD = 10_000


def render(hub: Hub, template: str, status: int = 200, **context: Any) -> Response:
    html = hub.templates.get_template(template).render(now=utcnow(), as_aware=as_aware, **context)
    return Response(html, status_code=status, media_type="text/html")


async def form_of(request: Request) -> dict[str, str]:
    """A urlencoded or multipart form as plain strings (files are ignored;
    over-long values are cut, so that no field costs the hub much)."""
    form = await request.form()
    return {key: value[:MAX_FORM_FIELD] for key in form.keys() if isinstance(value := form.get(key), str)}


def page(hub: Hub, console, template: str, *, title: str, section: str, status: int = 200, **context: Any) -> Response:
    """A page of the signed-in console (the layout needs ``console``)."""
    return render(hub, template, status=status, console=console, title=title, section=section, **context)
