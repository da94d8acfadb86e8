"""Rendering console pages, and reading their forms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response

from hub.client_ip import client_ip  # noqa: F401  (re-exported for the console modules)
from hub.clock import as_aware, utcnow
from hub.context import Hub
from hub.errors import HubError, Problems

MAX_FORM_FIELD = 10_000


def render(hub: Hub, template: str, status: int = 200, **context: Any) -> Response:
    html = hub.templates.get_template(template).render(now=utcnow(), as_aware=as_aware, **context)
    return Response(html, status_code=status, media_type="text/html")


async def form_of(request: Request) -> dict[str, str]:
    """A urlencoded or multipart form as plain strings (files are ignored;
    over-long values are cut, so that no field costs the hub much)."""
    form = await request.form()
    return {key: value[:MAX_FORM_FIELD] for key in form.keys() if isinstance(value := form.get(key), str)}


@dataclass(frozen=True)
class FailedForm:
    """A form that was refused: shown again with what was typed, each error
    beside its field (and all of them in a summary at the top of the form),
    instead of a dead-end error page.

    ``form`` names which form of the page failed (a page may have several);
    templates ask ``failed.value(form, name, default)`` and
    ``failed.error(form, name)``, which answer the defaults for any other
    form. An error with no field of its own is kept under ``""``.
    """

    form: str = ""
    values: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    status: int = 200

    @classmethod
    def of(cls, form: str, values: Mapping[str, str], problem: HubError) -> FailedForm:
        problems = problem.errors if isinstance(problem, Problems) else [problem]
        errors: dict[str, str] = {}
        for each in problems:
            errors.setdefault(each.field or "", each.message)
        return cls(form=form, values=dict(values), errors=errors, status=problem.status_code)

    def value(self, form: str, name: str, default: Any = "") -> Any:
        return self.values.get(name, default) if form == self.form else default

    def error(self, form: str, name: str) -> str:
        return self.errors.get(name, "") if form == self.form else ""

    def summary(self, form: str) -> list[tuple[str, str]]:
        return list(self.errors.items()) if form == self.form else []


NOTHING_FAILED = FailedForm()


def page(
    hub: Hub, console, template: str, *, title: str, section: str, status: int = 200, failed: FailedForm | None = None,
    **context: Any,
) -> Response:
    """A page of the signed-in console (the layout needs ``console``); with
    ``failed``, the refused form is shown again and the answer has its
    error's status."""
    return render(
        hub, template, status=failed.status if failed else status, console=console, title=title, section=section,
        failed=failed or NOTHING_FAILED, **context,
    )


CONFIRMED = "yes"


def needs_confirmation(form: Mapping[str, str]) -> bool:
    """True until the person confirmed on the page :func:`confirm_page` shows."""
    return form.get("confirm") != CONFIRMED


def confirm_page(
    hub: Hub, console, form: Mapping[str, str], *, action: str, title: str, consequences: list[str], button: str,
    back: str, section: str,
) -> Response:
    """The step before a destructive action: says what will happen and
    posts the same form again, confirmed (``Cancel`` goes ``back``)."""
    fields = {k: v for k, v in form.items() if k not in ("_csrf_token", "confirm")}
    return page(
        hub, console, "console/confirm.html", title=title, section=section, action=action, consequences=consequences,
        button=button, back=back, fields=fields, confirmed=CONFIRMED,
    )
