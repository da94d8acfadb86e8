"""Settings → members: who may use the console for this organization;
admins invite people by email and remove them. Also the invitation link's
page, where an invited person chooses their password."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from hub.console.auth import Console, signed_in
from hub.console.pages import FailedForm, client_ip, confirm_page, form_of, needs_confirmation, page, render
from hub.context import Hub
from hub.errors import Conflict, Invalid, NotFound, TooManyRequests
from hub.services import console_sessions, invitations, password_resets
from hub.services.accounts import ROLES
from hub.services.audit import audit, user_actor
from hub.services.people import members, remove_membership
from hub.web.csrf import csrf_token


async def _members_page(
    hub: Hub, console: Console, *, invited: str | None = None, reset_sent: str | None = None, failed: FailedForm | None = None
) -> Response:
    return page(
        hub, console, "console/members.html", title="Members", section="settings",
        members=await members(console.org), roles=ROLES, invited=invited, reset_sent=reset_sent, failed=failed,
    )


class MembersController(Controller):
    path = "/settings/members"

    @get("/")
    async def members(self, hub: Hub, console: Console, invited: str | None = None, reset: str | None = None) -> Response:
        console.require("admin")
        return await _members_page(hub, console, invited=invited, reset_sent=reset)

    @post("/", status_code=303)
    async def invite(self, hub: Hub, console: Console, request: Request) -> Response:
        console.require("admin")
        form = await console.form(request)
        try:
            invited = await invitations.invite(
                hub, org=console.org, email=form.get("email") or "", role=form.get("role") or "",
                invited_by=console.person.email,
            )
        except (Invalid, Conflict) as problem:
            return await _members_page(hub, console, failed=FailedForm.of("invite", form, problem))
        await console.audit("member.invite", invited["email"], role=invited["role"])
        return Redirect(f"/console/settings/members?invited={invited['email']}", status_code=303)

    @post("/{user_id:str}/reset", status_code=303)
    async def reset(self, hub: Hub, console: Console, request: Request, user_id: str) -> Response:
        console.require("admin")
        form = await console.form(request)
        member = next((m for m in await members(console.org) if m["user_id"] == user_id), None)
        if member is None:
            raise NotFound(f"Member {user_id} not found")
        if needs_confirmation(form):
            return confirm_page(
                hub, console, form, action=f"/console/settings/members/{user_id}/reset",
                title=f"Send {member['email']} a password reset link",
                consequences=[f"{member['email']} gets an email with a link to choose a new password (it works once, for "
                              f"{password_resets.RESET_MINUTES} minutes).",
                              "Their current password keeps working until they use the link; using it signs them out "
                              "of every browser."],
                button="Send the link", back="/console/settings/members", section="settings",
            )
        try:
            await password_resets.request_reset(hub, member["email"], ip=console.ip, requested_by=console.person.email)
        except TooManyRequests as problem:
            raise Conflict(problem.message) from problem
        await console.audit("member.send_password_reset", member["email"])
        return Redirect(f"/console/settings/members?reset={quote(member['email'])}", status_code=303)

    @post("/{user_id:str}/remove", status_code=303)
    async def remove(self, hub: Hub, console: Console, request: Request, user_id: str) -> Response:
        console.require("admin")
        form = await console.form(request)
        if user_id == console.person.id:
            raise Conflict("You cannot remove yourself; ask another admin.")
        member = next((m for m in await members(console.org) if m["user_id"] == user_id), None)
        if member is None:
            raise NotFound(f"Member {user_id} not found")
        if needs_confirmation(form):
            return confirm_page(
                hub, console, form, action=f"/console/settings/members/{user_id}/remove",
                title=f"Remove {member['email']} from {console.org}",
                consequences=[f"{member['email']} ({member['role']}) can no longer see or change anything in {console.org}.",
                              "Their account and their other organizations stay; you can invite them again later."],
                button="Remove the member", back="/console/settings/members", section="settings",
            )
        await remove_membership(user_id, console.org)
        await console.audit("member.remove", user_id)
        return Redirect("/console/settings/members", status_code=303)


def _invite_page(hub: Hub, request: Request, token: str, email: str | None, status: int = 200, error: str | None = None) -> Response:
    return render(
        hub, "console/invite.html", status=status, csrf=csrf_token(request), token=token, email=email, error=error
    )


class InvitationController(Controller):
    path = "/invite"

    @get("/")
    async def invitation(self, hub: Hub, request: Request, token: str | None = None) -> Response:
        # A form, not an automatic action: mail scanners open links.
        email = await invitations.invited_email(token)
        return _invite_page(hub, request, token or "", email, status=200 if email else 410)

    @post("/", status_code=303)
    async def accept(self, hub: Hub, request: Request) -> Response:
        form = await form_of(request)
        token = form.get("token") or ""
        try:
            if form.get("password") != form.get("password_again"):
                raise Invalid("The two passwords differ.", field="password_again")
            who = await invitations.accept(token, form.get("password") or "")
        except Invalid as problem:
            email = await invitations.invited_email(token)
            return _invite_page(hub, request, token, email, status=422, error=problem.message)
        if who is None:
            return _invite_page(hub, request, token, None, status=410)
        ip = client_ip(request)
        for org in who.roles:
            await audit(org=org, actor=user_actor(who.email), action="member.accept_invitation", ip=ip)
        secret = await console_sessions.open_session(who, ip)
        return signed_in(request, Redirect("/console", status_code=303), secret)
