"""Which organization a payment provider's events belong to.

A shop connects one provider account (a Stripe account, a PayPal app) to
the hub, and its webhook events carry no organization of the hub's. The
plugin's setting names it (``HUB_STRIPE_ORG``, ``HUB_PAYPAL_ORG``...); a hub
with exactly one organization needs no setting. :func:`organization_for`
decides it for every payment plugin, so they all answer a webhook the same
way when it cannot be decided: 400 (the event is not stored, and the
provider delivers it again once the shop has fixed the setting).
"""

from __future__ import annotations

from hub.db import Database
from hub.errors import BadRequest
from hub.tables import Organization


def org_setting(provider: str) -> str:
    """The conventional name of a provider plugin's organization setting:
    ``HUB_<PROVIDER>_ORG``."""
    return f"HUB_{provider.upper().replace('-', '_')}_ORG"


async def organization_for(
    provider: str, configured_org: str | None = None, *, setting: str | None = None, db: Database | None = None
) -> str:
    """The id of the organization ``provider``'s events belong to.

    :param provider: the provider as purchases record it (``stripe``).
    :param configured_org: the plugin's setting, if the shop set it: it must
        name an existing organization.
    :param setting: the setting's name, for the messages (default
        :func:`org_setting`).
    :param db: the hub's database, whose memo of confirmed organizations
        spares a webhook the lookup of a configured one (organizations are
        never deleted); without it, every call looks it up.
    :raises BadRequest: the setting names no organization, or it is unset
        and the hub has none or several.
    """
    setting = setting or org_setting(provider)
    if configured_org:
        if db is not None and configured_org in db.existing_organizations:
            return configured_org
        if not await Organization.exists().where(Organization.id == configured_org):
            raise BadRequest(
                f"{setting} is {configured_org!r}, but no organization has that id: set {setting} to an existing one"
            )
        if db is not None:
            db.existing_organizations.add(configured_org)
        return configured_org
    found = await Organization.select(Organization.id).limit(2)
    if len(found) == 1:
        only: str = found[0]["id"]
        return only
    reason = "no organization exists yet" if not found else "this hub has several organizations"
    raise BadRequest(
        f"Cannot tell which organization this {provider} event is for ({reason}): set {setting} to its id"
    )
