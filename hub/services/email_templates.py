"""A shop's own wording of its buyer emails (Settings → Email).

An organization may replace the subject, text body and (optionally) HTML
body of each buyer email (:data:`EDITABLE`). Its templates run in Jinja's
:class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`, never the hub's own
environment: a template reaches only the values of the email's context and
the email filters, never Python objects (``__class__``, ``__globals__``...
are refused by the sandbox); ``range`` gives at most
:data:`jinja2.sandbox.MAX_RANGE` numbers per rendering, all its calls
together (nested loops cannot multiply), and ``*``/``**`` cannot build
huge strings, lists or numbers. A template longer than
:data:`MAX_TEMPLATE_CHARS` is refused.

A template is checked on save: it must parse and render with the email's
sample context (:mod:`hub.email_samples`), or it is refused with the line
and the reason, so it never fails at send time for want of checking. Should
one still fail when sent (a context the sample did not foresee), the
built-in email is sent instead and the failure logged.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from jinja2 import TemplateSyntaxError, select_autoescape
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment, SecurityError

from hub.clock import utcnow
from hub.email_samples import SAMPLES
from hub.emails import breakable, download_limit, human_size, utc_datetime
from hub.errors import Invalid
from hub.plugins import RenderedEmail
from hub.secrets import new_id
from hub.settings import Settings
from hub.tables import EmailTemplate

log = logging.getLogger("hub.email")

#: The buyer emails a shop may reword (those with a sample context).
EDITABLE = ("delivery", "signin", "update")
#: Below the console's cut of a form field (hub.console.pages.MAX_FORM_FIELD), so
#: a cut template is refused as too long, never saved cut.
MAX_TEMPLATE_CHARS = 8_000
PARTS = ("subject", "text", "html")


#: What one rendering may spend on ``range`` (all its calls together, so
#: nested loops cannot multiply) and the longest string or list ``*`` may make.
RANGE_BUDGET = MAX_RANGE
MAX_PRODUCT = 100_000
_budget: ContextVar[list[int]] = ContextVar("email_template_budget")


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    budget = _budget.get(None)
    if budget is None:
        budget = [RANGE_BUDGET]
    budget[0] -= len(numbers)
    if budget[0] < 0:
        raise OverflowError(f"The template loops over more than {RANGE_BUDGET:,} numbers in all.")
    return numbers


class EmailSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, with ``range`` budgeted per rendering and ``*`` and
    ``**`` refused where they would build something huge."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and (
            abs(right) > 64 or (isinstance(left, int) and abs(left).bit_length() * abs(right) > 4096)
        ):
            raise OverflowError("A power this large is refused.")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, str | list | tuple) and isinstance(times, int) and len(sequence) * times > MAX_PRODUCT:
                    raise OverflowError(f"A repeated string or list longer than {MAX_PRODUCT:,} is refused.")
        return super().call_binop(context, operator, left, right)


def _render(environment: EmailSandbox, source: str, values: dict[str, Any]) -> str:
    token = _budget.set([RANGE_BUDGET])
    try:
        return environment.from_string(source).render(values)
    finally:
        _budget.reset(token)


def _environment(autoescape: bool) -> EmailSandbox:
    environment = EmailSandbox(
        autoescape=select_autoescape(default_for_string=autoescape), trim_blocks=True, lstrip_blocks=True
    )
    environment.filters.update(
        utc_datetime=utc_datetime, download_limit=download_limit, filesize=human_size, breakable=breakable
    )
    environment.globals["range"] = _bounded_range
    return environment


TEXT_SANDBOX = _environment(autoescape=False)
HTML_SANDBOX = _environment(autoescape=True)


def render_parts(parts: dict[str, str], context: dict[str, Any]) -> RenderedEmail:
    """Render a shop's ``subject``, ``text`` and optional ``html`` with
    ``context`` in the sandbox (exceptions pass through)."""
    subject = " ".join(_render(TEXT_SANDBOX, parts["subject"], context).split())
    values = {**context, "subject": subject}
    text = _render(TEXT_SANDBOX, parts["text"], values).strip() + "\n"
    html = _render(HTML_SANDBOX, parts["html"], values).strip() + "\n" if parts.get("html", "").strip() else None
    return RenderedEmail(subject=subject, text=text, html=html)


def check(kind: str, parts: dict[str, str], settings: Settings) -> RenderedEmail:
    """The email ``parts`` give with ``kind``'s sample context, or
    :class:`Invalid` naming the part (``field``), the line and the reason."""
    if kind not in EDITABLE:
        raise Invalid(f"Only these emails can be reworded: {', '.join(EDITABLE)}", field="kind")
    for part in PARTS:
        if len(parts.get(part, "")) > MAX_TEMPLATE_CHARS:
            raise Invalid(f"The {part} is longer than {MAX_TEMPLATE_CHARS:,} characters.", field=part)
    if not parts.get("subject", "").strip():
        raise Invalid("The subject is empty.", field="subject")
    if not parts.get("text", "").strip():
        raise Invalid("The text body is empty.", field="text")
    context = SAMPLES[kind](settings)
    for part in PARTS:
        source = parts.get(part, "")
        environment = HTML_SANDBOX if part == "html" else TEXT_SANDBOX
        try:
            _render(environment, source, {**context, "subject": "Sample subject"})
        except TemplateSyntaxError as problem:
            raise Invalid(f"Line {problem.lineno}: {problem.message}", field=part) from problem
        except SecurityError as problem:
            raise Invalid(f"Refused: {problem} (a template reaches only the email's values)", field=part) from problem
        except Exception as problem:  # any failure with the sample: refused now, not at send time
            raise Invalid(f"It fails with the sample data: {type(problem).__name__}: {problem}", field=part) from problem
    return render_parts(parts, context)


async def find(org: str, kind: str) -> dict[str, Any] | None:
    if not org:
        return None
    return await EmailTemplate.select().where(EmailTemplate.org == org, EmailTemplate.kind == kind).first()


async def save(org: str, kind: str, parts: dict[str, str], *, settings: Settings, by: str) -> RenderedEmail:
    """Check and store ``org``'s wording of ``kind`` (one row per org and kind)."""
    rendered = check(kind, parts, settings)
    values = {part: parts.get(part, "") for part in PARTS}
    now = utcnow()
    updated = await EmailTemplate.update(
        {EmailTemplate.subject: values["subject"], EmailTemplate.text: values["text"], EmailTemplate.html: values["html"],
         EmailTemplate.updated_by: by[:400], EmailTemplate.updated_at: now}
    ).where(EmailTemplate.org == org, EmailTemplate.kind == kind).returning(EmailTemplate.id)
    if not updated:
        await EmailTemplate.raw(
            "INSERT INTO hub_email_template (id, org, kind, subject, text, html, updated_by, updated_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}) ON CONFLICT (org, kind) DO UPDATE SET subject = excluded.subject, "
            "text = excluded.text, html = excluded.html, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            new_id("etpl"), org, kind, values["subject"], values["text"], values["html"], by[:400], now,
        )
    return rendered


async def reset(org: str, kind: str) -> bool:
    """Back to the built-in wording; whether there was one of the shop's."""
    deleted = await EmailTemplate.delete().where(EmailTemplate.org == org, EmailTemplate.kind == kind).returning(
        EmailTemplate.id
    )
    return bool(deleted)


async def render_override(org: str, kind: str, context: dict[str, Any]) -> RenderedEmail | None:
    """``org``'s wording of ``kind`` rendered with ``context``, or None when
    it has none (or, logged, when it fails: the built-in email goes out)."""
    if kind not in EDITABLE:
        return None
    row = await find(org, kind)
    if row is None:
        return None
    try:
        return render_parts(row, context)
    except Exception:
        log.exception("The %s email of %s failed to render; sending the built-in one instead", kind, org)
        return None
