"""Email addresses are checked by email-validator (syntax only, no DNS):
what a regex let through is refused, international addresses pass."""

from __future__ import annotations

import pytest
from email_validator import validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.email_address import PLAIN_ADDRESS, check_email
from hub.errors import Invalid


@pytest.mark.parametrize(
    "address", ["a..b@example.com", "buyer@example..com", "buyer@-example.com", ".buyer@example.com"]
)
def test_addresses_a_regex_would_pass_are_refused_with_the_field_named(address):
    with pytest.raises(Invalid) as refused:
        check_email(address, field="email")
    assert refused.value.message == "email must be an email address" and refused.value.field == "email"


@pytest.mark.parametrize("address", [None, 42, "", "not-an-email", "a@b\x00.com", "x@" + "e" * 320 + ".com"])
def test_what_is_no_address_is_refused(address):
    with pytest.raises(Invalid, match="customerEmail must be an email address"):
        check_email(address)


def test_addresses_are_normalized_and_lower_cased():
    assert check_email("Buyer@Example.COM") == "buyer@example.com"
    assert check_email("Käufer@Bücher.example") == "käufer@bücher.example"


# The fast path (hub.email_address.PLAIN_ADDRESS) must accept only what the
# library accepts, and give what the library gives.
_NEAR_ADDRESSES = st.from_regex(
    r"\A[a-zA-Z0-9._+\-!#~]{0,70}@[a-zA-Z0-9.\-]{0,70}"
    r"(\.(com|co|de|x|test|local|localhost|onion|arpa|invalid|123|xn--p1ai|a1|[a-z]{2,3}))?\Z",
    fullmatch=True,
)


@settings(max_examples=3000, deadline=None)
@given(address=st.one_of(_NEAR_ADDRESSES, st.text(max_size=80)))
def test_the_fast_path_accepts_only_what_the_library_accepts_and_normalizes_alike(address):
    if not (PLAIN_ADDRESS.match(address) and len(address) <= 254):
        return
    valid = validate_email(address, check_deliverability=False)  # raises: the fast path let through too much
    assert check_email(address) == valid.normalized.lower()


@pytest.mark.parametrize(
    "address, plain",
    [
        ("buyer@example.com", True),
        ("Jane.Doe+shop@Mail.Example.COM", True),
        ("a@b.test", False),  # special-use names: the library's refusal
        ("a@shop.localhost", False),
        ("a@b.123", False),
        ("a@ab--cd.com", False),  # reserved hyphen forms go to the library
        ("a@" + "b" * 64 + ".com", False),  # a label over 63 characters
        ("käufer@bücher.example", False),
    ],
)
def test_the_fast_path_takes_the_common_addresses_and_leaves_the_rest_to_the_library(address, plain):
    assert bool(PLAIN_ADDRESS.match(address)) is plain


@pytest.mark.parametrize(
    "address, domain, rfc",
    [
        ("owner@shop.test", "shop.test", "RFC 6761"),
        ("Owner@Shop.TEST", "shop.test", "RFC 6761"),
        ("a@localhost", "localhost", "RFC 6761"),
        ("a@printer.local", "printer.local", "RFC 6762"),
        ("a@x.invalid", "x.invalid", "RFC 6761"),
        ("a@hidden.onion", "hidden.onion", "RFC 7686"),
        ("a@home.arpa", "home.arpa", "RFC 3172"),
    ],
)
def test_an_address_at_a_special_use_domain_is_refused_saying_so(address, domain, rfc):
    with pytest.raises(Invalid) as refused:
        check_email(address, field="contact email")
    assert refused.value.message == (
        f"contact email cannot be at {domain}: it is a special-use domain ({rfc}) that cannot receive email"
    )
    assert refused.value.field == "contact email"


def test_the_special_use_names_are_the_librarys():
    import email_validator

    from hub.email_address import SPECIAL_USE_DOMAINS

    assert set(SPECIAL_USE_DOMAINS) == set(email_validator.SPECIAL_USE_DOMAIN_NAMES)


@pytest.mark.parametrize(
    "address, reason",
    [
        ("buyer@[192.0.2.1]", "customerEmail must be an email address at a domain name, not at an IP address ([192.0.2.1])"),
        ("b@" + "e" * 260 + ".com", "customerEmail must be an email address of at most 254 characters"),
        ("b@" + "e" * 330 + ".com", "customerEmail must be an email address of at most 254 characters"),
    ],
)
def test_other_refusals_state_their_reason(address, reason):
    with pytest.raises(Invalid) as refused:
        check_email(address)
    assert refused.value.message == reason


async def test_every_surface_gives_the_special_use_reason(client, org):
    """The API's answer carries the reason from the one place that checks
    addresses (the console, /my and the CLI are tested beside their pages)."""
    from tests.conftest import fails
    from tests.test_tokens_api import ready_product

    await ready_product(client, org, slug="pack")
    answer = await client.post("/api/products/pack/tokens", json={"customerEmail": "buyer@shop.test"}, headers=org.member)
    fails(answer, 422, "customerEmail cannot be at shop.test: it is a special-use domain (RFC 6761)")


async def test_a_purchase_kept_without_its_special_use_address_says_why(app, client, org):
    from hub.services.purchases import PurchaseIn, PurchaseItem, record_purchase

    recorded = await record_purchase(
        app.state.hub,
        PurchaseIn(org=org.id, provider="api", provider_ref="order-1", customer_email="buyer@shop.test", items=[PurchaseItem("pack")]),
    )
    assert recorded.purchase["customer_email"] == ""
    assert "it is a special-use domain (RFC 6761) that cannot receive email" in recorded.purchase["problem"]
