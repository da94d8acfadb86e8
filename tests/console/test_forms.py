"""Refused forms come back with what was typed and each error beside its
field, in words (a slug's rule stated): never a dead-end error page."""

from __future__ import annotations

import html
import re

from tests.console.conftest import post_form
from tests.console.test_purchases import purchase  # noqa: F401  (the fixture)


def field_error(page: str, field_id: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field_id}-error"><span class="visually-hidden">Error: </span>(.*?)</p>', page)
    return html.unescape(found.group(1)) if found else ""


def typed(page: str, field_id: str) -> str:
    found = re.search(rf'<input id="{field_id}"[^>]*value="([^"]*)"', page) or re.search(
        rf'<textarea id="{field_id}"[^>]*>(.*?)</textarea>', page, flags=re.S
    )
    return html.unescape(found.group(1)) if found else ""


async def test_a_bad_slug_is_refused_beside_its_field_with_the_rule_and_keeps_what_was_typed(owner):
    refused = await post_form(
        owner, "/console/products", "/console/products", name="Drum Kit", slug="Drum Kit!",
        description="Big drums", metadata='{"genre": "drums"}',
    )
    assert refused.status_code == 422
    assert "That did not work" not in refused.text and "There is a problem" in refused.text
    assert field_error(refused.text, "new-slug") == (
        "slug must be 1-100 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
    )
    assert 'id="new-slug" name="slug" type="text" maxlength="100" value="Drum Kit!" aria-invalid="true"' in refused.text
    assert typed(refused.text, "new-name") == "Drum Kit" and typed(refused.text, "new-description") == "Big drums"
    assert typed(refused.text, "new-metadata") == '{"genre": "drums"}'
    assert "pattern=" not in refused.text  # the browser's "match the requested format" is not the message
    assert "Drum Kit" not in (await owner.get("/console/products")).text.split("<h2>New product</h2>")[0]  # nothing created


async def test_a_duplicate_slug_and_bad_metadata_are_refused_beside_their_fields(owner):
    assert (await post_form(owner, "/console/products", "/console/products", name="Pads", slug="pads")).status_code == 303
    again = await post_form(owner, "/console/products", "/console/products", name="Other pads", slug="pads")
    assert again.status_code == 409
    assert field_error(again.text, "new-slug") == "A product with id pads already exists"
    assert typed(again.text, "new-name") == "Other pads"

    bad_json = await post_form(owner, "/console/products", "/console/products", name="Kit", metadata='{"genre": drums}')
    assert bad_json.status_code == 422
    assert field_error(bad_json.text, "new-metadata") == 'metadata must be a JSON object, e.g. {"genre": "drums"}'
    assert typed(bad_json.text, "new-metadata") == '{"genre": drums}'


async def test_a_refused_edit_keeps_the_edit_and_changes_nothing(owner):
    await post_form(owner, "/console/products", "/console/products", name="Pads", slug="pads", description="Soft")
    refused = await post_form(
        owner, "/console/products/pads", "/console/products/pads", name="Pads II", status="published",
        description="Softer", metadata="[1, 2]",
    )
    assert refused.status_code == 422
    assert field_error(refused.text, "metadata") == 'metadata must be a JSON object, e.g. {"genre": "drums"}'
    assert typed(refused.text, "name") == "Pads II" and typed(refused.text, "description") == "Softer"
    assert typed(refused.text, "metadata") == "[1, 2]"
    assert '<option value="published" selected>' in refused.text
    unchanged = await owner.get("/console/products/pads")
    assert "<h1>Pads</h1>" in unchanged.text and typed(unchanged.text, "description") == "Soft"


async def test_an_invitation_to_a_bad_address_is_refused_beside_the_field(owner, mailbox):
    refused = await post_form(owner, "/console/settings/members", "/console/settings/members", email="helper@", role="admin")
    assert refused.status_code == 422
    assert field_error(refused.text, "invite-email") == "email must be an email address"
    assert typed(refused.text, "invite-email") == "helper@" and '<option value="admin" selected>' in refused.text
    assert mailbox.messages == []


async def test_a_key_with_no_such_role_is_refused_beside_the_field(owner):
    refused = await post_form(owner, "/console/settings/keys", "/console/settings/keys", label="Shop", role="owner")
    assert refused.status_code == 422
    assert field_error(refused.text, "key-role").startswith("role must be one of")
    assert typed(refused.text, "key-label") == "Shop" and "ct_key_" not in refused.text


async def test_a_bad_number_of_days_on_a_link_is_refused_beside_its_field(owner, purchase):
    base = f"/console/purchases/{purchase['id']}"
    page = await owner.get(base)
    token_id = re.search(r"/links/(token_[0-9a-f]+)/revoke", page.text).group(1)
    refused = await post_form(owner, base, f"{base}/links/{token_id}/extend", days="-3")
    assert refused.status_code == 422
    assert field_error(refused.text, f"days-{token_id}") == "days must be a whole number from 1 to 3650"
    assert f'id="days-{token_id}" name="days" type="number" min="1" max="3650" value="-3"' in refused.text
    wrong_address = await post_form(owner, base, f"{base}/resend", email="buyer@@example")
    assert wrong_address.status_code == 422 and field_error(wrong_address.text, "resend-email")
    assert typed(wrong_address.text, "resend-email") == "buyer@@example"
