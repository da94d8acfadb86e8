"""Email addresses are checked by email-validator (syntax only, no DNS):
what a regex let through is refused, international addresses pass."""

from __future__ import annotations

import pytest

from hub.email_address import check_email
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
