"""Settings → Email: a shop rewords its buyer emails. The templates run in
Jinja's sandbox (the classic template-injection payloads are refused or
inert), a template that fails with the sample data is refused on save with
its line and reason, a preview re-renders the draft, "reset to default"
brings the built-in wording back, and an email sent after a save uses it."""

from __future__ import annotations

import html
import re

import pytest

from hub.services.accounts import create_organization
from hub.services.email_templates import MAX_TEMPLATE_CHARS
from hub.services.people import create_user
from hub.tables import EmailTemplate
from hub.testing.app import make_app, running
from tests.console.conftest import OWNER, PASSWORD, browser_of, csrf_of, post_form, sign_in
from tests.console.test_forms import field_error
from tests.console.test_links import product_on_sale, send_id_of

PAGE = "/console/settings/email?template=delivery"
ACTION = "/console/settings/email/templates/delivery"
SUBJECT = "{{ shop }} sent you {{ items|length }} thing(s)"
TEXT = "Hello from {{ shop }}!\n{% for item in items %}{{ item.product }}: {{ item.url }}\n{% endfor %}"


@pytest.fixture
async def real_emails_app(settings, mailbox):
    """The console without the test plugin that renders plain emails: the hub's own rendering."""
    app = make_app(settings, plugins=[("mailbox", mailbox)], entry_points="none")
    async with running(app):
        from tests.conftest import _empty_postgres

        await _empty_postgres(app)
        await create_organization("audio-company")
        await create_user("audio-company", OWNER, "admin", PASSWORD)
        yield app


@pytest.fixture
async def admin(real_emails_app):
    async with browser_of(real_emails_app) as client:
        assert (await sign_in(client)).status_code == 303
        yield client


async def submit(client, target: str = ACTION, **fields):
    page = await client.get(PAGE)
    return await client.post(target, data={"_csrf_token": csrf_of(page.text), **fields})


async def save(client, text: str, subject: str = SUBJECT, action: str = "save", html_body: str = ""):
    return await submit(client, subject=subject, text=text, html=html_body, action=action)


async def test_a_saved_wording_is_previewed_used_by_the_next_email_and_reset_to_default(admin, mailbox):
    page = await admin.get(PAGE)
    assert page.status_code == 200 and "Your wording of the delivery email" in page.text
    assert "Reset to default" not in page.text  # nothing of the shop's yet

    preview = await save(admin, TEXT, action="preview")
    assert preview.status_code == 200 and "Preview of your draft (not saved yet)." in preview.text
    assert "Hello from Sample Audio Co.!" in html.unescape(preview.text) or "Hello from" in preview.text
    assert await EmailTemplate.count() == 0  # a preview stores nothing

    saved = await save(admin, TEXT)
    assert saved.status_code == 303 and saved.headers["location"].endswith("done=saved")
    after = await admin.get(saved.headers["location"])
    assert "this email now goes out in your wording" in after.text and "Reset to default" in after.text
    assert await EmailTemplate.count() == 1
    assert (await save(admin, TEXT + "\nThanks.")).status_code == 303  # saved again: still one row
    assert await EmailTemplate.count() == 1

    await product_on_sale(admin)
    form = await admin.get("/console/send?product=pack")
    sent = await post_form(admin, "/console/send?product=pack", "/console/send", product="pack", email="fan@example.com",
                           reason="press copy", send_id=send_id_of(form.text))
    assert sent.status_code == 303, sent.text
    [message] = await mailbox.wait_for(1)
    assert message["Subject"] == "audio-company sent you 1 thing(s)" or message["Subject"].endswith("sent you 1 thing(s)")
    text = message.get_content() if not message.is_multipart() else message.get_body(("plain",)).get_content()
    assert text.startswith("Hello from ") and re.search(r"http://hub\.test/\S+", text) and "Thanks." in text

    reset = await submit(admin, action="reset")
    assert reset.status_code == 303 and "Back to the built-in wording." in (await admin.get(reset.headers["location"])).text
    assert await EmailTemplate.count() == 0


SSTI = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ self.__init__.__globals__ }}",
    "{{ config }}",
    "{{ request }}",
    "{{ lipsum.__globals__ }}",
    "{{ ''|attr('__class__') }}",
    "{{ namespace.__init__ }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ items.__class__ }}{{ shop.upper.__self__ }}",
    "{% for i in range(10**9) %}x{% endfor %}",
    "{% for i in range(90000) %}{% for j in range(90000) %}{% endfor %}{% endfor %}",
    "{{ 'x' * 10**9 }}",
    "{{ [1] * 1000000 }}",
    "{{ 9 ** (9 ** 9) }}",
    "{{ ((9 ** 64) ** 64) ** 64 }}",
]


@pytest.mark.parametrize("payload", SSTI)
async def test_template_injection_is_refused_or_inert(admin, payload):
    answer = await save(admin, "Hi\n" + payload, action="preview")
    shown = html.unescape(answer.text)
    if answer.status_code == 422:
        assert field_error(answer.text, "wording-text")
    else:
        assert answer.status_code == 200, answer.text[:500]
        body = shown.split('<pre class="email-text">', 1)[1].split("</pre>", 1)[0]
        assert body.strip() == "Hi"  # nothing of Python reached the email
    assert await EmailTemplate.count() == 0


async def test_a_broken_template_is_refused_on_save_with_its_line_and_reason_and_what_was_typed_kept(admin):
    broken = "Hello\n\n{% for item in items %}{{ item.product }"
    refused = await save(admin, broken)
    assert refused.status_code == 422
    message = field_error(refused.text, "wording-text")
    assert message.startswith("Line 3:"), message
    assert html.escape(broken).replace("&#x27;", "&#39;") in refused.text or "{{ item.product }" in html.unescape(refused.text)
    failing = await save(admin, "{{ items[7].product }}")
    assert failing.status_code == 422 and "fails with the sample data" in field_error(failing.text, "wording-text")
    too_long = await save(admin, "x" * (MAX_TEMPLATE_CHARS + 1))
    assert too_long.status_code == 422 and "longer than" in field_error(too_long.text, "wording-text"), (too_long.status_code, too_long.text[:3000])
    empty = await save(admin, "Body", subject="  ")
    assert empty.status_code == 422 and field_error(empty.text, "wording-subject") == "The subject is empty."
    assert await EmailTemplate.count() == 0
    other = await submit(admin, "/console/settings/email/templates/webhook_disabled", subject="x", text="y")
    assert other.status_code == 422 and await EmailTemplate.count() == 0


@pytest.mark.parametrize("kind", ["signin", "update"])
async def test_the_other_buyer_emails_are_reworded_and_previewed_with_their_sample(admin, kind):
    page = await admin.get(f"/console/settings/email?template={kind}")
    assert f"Your wording of the {kind} email" in page.text
    saved = await submit(admin, f"/console/settings/email/templates/{kind}", subject=f"{kind}: {{{{ email }}}}",
                         text="Yours, {{ email }}", html="", action="save")
    assert saved.status_code == 303, saved.text[:2000]
    shown = html.unescape((await admin.get(saved.headers["location"])).text)
    assert f"{kind}: " in shown and "Yours, " in shown and "@example.com" in shown
    assert await EmailTemplate.count() == 1
