"""Settings → members: an admin invites someone by email (through the
outbox); the invited person chooses a password with the link, once."""

from __future__ import annotations

import re

from tests.console.conftest import browser_of, csrf_of, post_form, sign_in


async def invite(owner, mailbox, email: str, role: str = "member") -> str:
    before = len(mailbox.messages)
    sent = await post_form(owner, "/console/settings/members", "/console/settings/members", email=email, role=role)
    assert sent.status_code == 303, sent.text
    messages = await mailbox.wait_for(before + 1)
    assert messages[-1]["To"] == email.lower()
    return messages[-1].get_body(("plain",)).get_content() if messages[-1].is_multipart() else messages[-1].get_content()


async def test_an_invited_person_chooses_a_password_once_and_signs_in(console_app, owner, mailbox):
    text = await invite(owner, mailbox, "Helper@Example.com")
    link = re.search(r"http://hub\.test(/console/invite\?token=\S+)", text).group(1)
    members = await owner.get("/console/settings/members")
    assert "helper@example.com" in members.text and "invited" in members.text
    async with browser_of(console_app, ip="192.0.2.8") as helper:
        form = await helper.get(link)
        assert form.status_code == 200 and "Choose your password" in form.text
        token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)
        differ = await helper.post("/console/invite", data={"_csrf_token": csrf_of(form.text), "token": token,
                                                            "password": "a long password", "password_again": "another one!"})
        assert differ.status_code == 422 and "differ" in differ.text
        done = await helper.post("/console/invite", data={"_csrf_token": csrf_of(form.text), "token": token,
                                                          "password": "a long password", "password_again": "a long password"})
        assert done.status_code == 303 and done.headers["location"] == "/console"
        home = await helper.get("/console")
        assert home.status_code == 200 and "audio-company (member)" in home.text
        again = await helper.get(link)
        assert again.status_code == 410 and "cannot be used" in again.text
    async with browser_of(console_app, ip="192.0.2.9") as later:
        assert (await sign_in(later, "helper@example.com", "a long password")).status_code == 303
    log = await owner.get("/console/settings/audit")
    assert "member.invite" in log.text and "member.accept_invitation" in log.text


async def test_someone_with_a_password_is_told_to_sign_in_and_can_be_removed(console_app, owner, mailbox):
    text = await invite(owner, mailbox, "helper@example.com", role="viewer")
    link = re.search(r"(/console/invite\?token=\S+)", text).group(1)
    async with browser_of(console_app, ip="192.0.2.8") as helper:
        form = await helper.get(link)
        token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)
        await helper.post("/console/invite", data={"_csrf_token": csrf_of(form.text), "token": token,
                                                   "password": "a long password", "password_again": "a long password"})
    text = await invite(owner, mailbox, "helper@example.com", role="admin")
    assert "/console/login" in text and "/console/invite" not in text
    members = await owner.get("/console/settings/members")
    user_id = re.search(r'action="/console/settings/members/(user_[0-9a-f]+)/remove"', members.text).group(1)
    removed = await post_form(owner, "/console/settings/members", f"/console/settings/members/{user_id}/remove", confirm="yes")
    assert removed.status_code == 303
    assert "helper@example.com" not in (await owner.get("/console/settings/members")).text


async def test_bad_invitations_are_refused_clearly(owner, browser):
    bad_email = await post_form(owner, "/console/settings/members", "/console/settings/members", email="not-an-email", role="member")
    assert bad_email.status_code == 422 and "email" in bad_email.text
    bad_role = await post_form(owner, "/console/settings/members", "/console/settings/members", email="a@example.com", role="god")
    assert bad_role.status_code == 422
    forged = await browser.get("/console/invite?token=ct_invite_made-up")
    assert forged.status_code == 410


async def test_an_invitation_to_a_special_use_domain_says_why_it_is_refused(owner):
    refused = await post_form(owner, "/console/settings/members", "/console/settings/members", email="helper@shop.test", role="member")
    assert refused.status_code == 422
    assert "shop.test: it is a special-use domain (RFC 6761) that cannot receive email" in refused.text
