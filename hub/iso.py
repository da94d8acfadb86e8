"""ISO reference lists: countries (3166-1 alpha-2), currencies (4217) and
languages (639), from pycountry, which follows the ISO maintenance agencies'
changes (a new currency such as XCG, a withdrawn one such as ANG) so that
the hub does not keep lists of its own to update by hand.
"""

from __future__ import annotations

import re

import pycountry

#: Kosovo: not assigned by ISO, but stores and distributors use it.
KOSOVO = "XK"
#: Every ISO 3166-1 alpha-2 country code, plus :data:`KOSOVO`.
COUNTRIES = frozenset({country.alpha_2 for country in pycountry.countries} | {KOSOVO})

#: ISO 4217 codes that are not money a shop prices in: bond-market units and
#: funds (BOV, CHE...), precious metals (XAU...), the IMF's and other units of
#: account (XDR, XSU, XUA...), and the test and "no currency" codes.
NOT_MONEY = frozenset({
    "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW",  # funds
    "XAG", "XAU", "XPD", "XPT",  # metals
    "XAD", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA",  # units of account
    "XTS", "XXX",  # testing, no currency
})
#: ISO 4217 codes of currencies in use.
CURRENCIES = frozenset({currency.alpha_3 for currency in pycountry.currencies} - NOT_MONEY)

#: Primary language subtags: ISO 639-1 (two letters) and ISO 639-3 (three).
LANGUAGES = frozenset(
    {language.alpha_2 for language in pycountry.languages if hasattr(language, "alpha_2")}
    | {language.alpha_3 for language in pycountry.languages}
)
#: ISO 15924 script codes as BCP 47 writes them (``Hant``).
SCRIPTS = frozenset({script.alpha_4.title() for script in pycountry.scripts})

_LANGUAGE_TAG = re.compile(r"^([a-z]{2,3})(?:-([A-Z][a-z]{3}))?(?:-([A-Z]{2}|\d{3}))?$")


def is_language_tag(tag: str) -> bool:
    """True for an ISO 639 language code, optionally with a script and a
    region as in BCP 47 (``en``, ``fra``, ``pt-BR``, ``zh-Hant-TW``, ``es-419``),
    written in BCP 47's case."""
    match = _LANGUAGE_TAG.match(tag)
    if match is None:
        return False
    language, script, region = match.groups()
    if language not in LANGUAGES or (script is not None and script not in SCRIPTS):
        return False
    # A region is a country (alpha-2) or a UN M.49 area (three digits).
    return region is None or region.isdigit() or region in COUNTRIES
