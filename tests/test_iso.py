"""ISO reference lists come from pycountry, with the hub's two choices on
top: Kosovo's XK is a country, and ISO 4217 codes that are not money a
shop prices in (funds, metals, units of account, test codes) are not
currencies."""

from __future__ import annotations

import pytest

from hub import iso


@pytest.mark.parametrize("code", ["FR", "DE", "US", "JP", "XK", "SS"])
def test_countries_are_iso_3166_alpha_2_and_kosovo(code):
    assert code in iso.COUNTRIES


@pytest.mark.parametrize("code", ["WW", "EU", "UK", "ZZ", "fr"])
def test_other_codes_are_not_countries(code):
    assert code not in iso.COUNTRIES


@pytest.mark.parametrize("code", ["EUR", "USD", "JPY", "XOF", "XCG", "SLE"])
def test_currencies_in_use_are_currencies(code):
    assert code in iso.CURRENCIES


@pytest.mark.parametrize("code", ["XXX", "XTS", "XAU", "XDR", "BOV", "USN", "EURO"])
def test_funds_metals_and_test_codes_are_not_currencies(code):
    assert code not in iso.CURRENCIES


@pytest.mark.parametrize("tag", ["en", "fra", "pt-BR", "zh-Hant-TW", "es-419", "fr-CA", "haw"])
def test_language_tags_of_iso_639_with_script_and_region(tag):
    assert iso.is_language_tag(tag)


@pytest.mark.parametrize("tag", ["zz", "english", "en-ZZ", "zh-Xxxx", "EN", "en-us", "pt_BR"])
def test_made_up_or_miswritten_language_tags_are_refused(tag):
    assert not iso.is_language_tag(tag)
