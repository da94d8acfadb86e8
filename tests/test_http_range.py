"""Tests for hub.http_range: single-range HTTP Range and If-Range (RFC 9110 §14, §13.1.5)."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.http_range import (
    ByteRange,
    RangeNotSatisfiable,
    etag_for,
    if_range_allows_partial,
    parse_range,
)

TOTAL = 1000
ETAG = '"0123456789abcdef0123456789abcdef"'
MODIFIED = datetime(2024, 3, 5, 14, 30, 15, tzinfo=timezone.utc)
MODIFIED_HTTP = "Tue, 05 Mar 2024 14:30:15 GMT"


# --- ByteRange -------------------------------------------------------------


def test_byte_range_length_is_inclusive_of_both_ends():
    """Range positions are inclusive, so 0-99 is 100 bytes."""
    assert ByteRange(0, 99).length == 100
    assert ByteRange(5, 5).length == 1


def test_byte_range_content_range_header_format():
    """Content-Range for 206 is 'bytes first-last/complete-length' (§14.4)."""
    assert ByteRange(0, 99).content_range(1000) == "bytes 0-99/1000"


def test_byte_range_rejects_inverted_or_negative_bounds():
    """A ByteRange that selects nothing is a programming error, not a response."""
    with pytest.raises(ValueError):
        ByteRange(10, 9)
    with pytest.raises(ValueError):
        ByteRange(-1, 5)


def test_range_not_satisfiable_carries_total_and_content_range():
    """416 must say the current length as 'bytes */total' (§15.5.17)."""
    exc = RangeNotSatisfiable(1000)
    assert exc.total == 1000
    assert exc.content_range == "bytes */1000"


# --- parse_range: whole-file (None) cases ------------------------------------


def test_missing_header_serves_whole_file():
    """No Range header means an ordinary 200."""
    assert parse_range(None, TOTAL) is None


@pytest.mark.parametrize(
    "header",
    [
        "",
        "bytes",
        "bytes=",
        "bytes=-",
        "bytes=abc",
        "bytes=a-b",
        "bytes=0x10-20",
        "bytes=1_0-20",
        "bytes=+5-10",
        "bytes=-5-10",
        "bytes=5--10",
        "bytes=5",
        "bytes 0-99",
        "bytes=١-٣",  # non-ASCII digits are not DIGIT
        "bytes=0-99;",
    ],
)
def test_syntactically_invalid_header_is_ignored(header):
    """An invalid Range header is ignored and the whole file is served (§14.2)."""
    assert parse_range(header, TOTAL) is None


def test_first_pos_greater_than_last_pos_is_ignored():
    """last-pos < first-pos makes the range-spec invalid, not unsatisfiable (§14.1.1)."""
    assert parse_range("bytes=500-100", TOTAL) is None


def test_inverted_range_with_huge_numbers_is_ignored():
    """The a > b check must hold for numbers beyond int()'s digit limit too."""
    assert parse_range(f"bytes={'9' * 5000}-{'9' * 4999}", TOTAL) is None


@pytest.mark.parametrize("header", ["items=0-99", "none", "pages=1-2", "bytesx=0-99"])
def test_unit_other_than_bytes_is_ignored(header):
    """Unknown range units must be ignored (§14.2)."""
    assert parse_range(header, TOTAL) is None


@pytest.mark.parametrize("header", ["bytes=0-99,200-299", "bytes=0-0,-1", "bytes=0-1, 5-"])
def test_multiple_ranges_are_ignored_and_whole_file_served(header):
    """We choose not to build multipart/byteranges; ignoring Range is allowed (§14.2)."""
    assert parse_range(header, TOTAL) is None


def test_multiple_ranges_are_ignored_even_when_unsatisfiable():
    """Multi-range is ignored before satisfiability is considered, so 200 not 416."""
    assert parse_range("bytes=5000-6000,7000-8000", TOTAL) is None


# --- parse_range: satisfiable forms ------------------------------------------


def test_closed_range_returns_exact_bytes():
    """bytes=a-b selects a..b inclusive."""
    assert parse_range("bytes=0-99", TOTAL) == ByteRange(0, 99)
    assert parse_range("bytes=100-100", TOTAL) == ByteRange(100, 100)


def test_closed_range_past_end_is_clamped_to_last_byte():
    """A last-pos beyond the end is replaced by length-1 (§14.1.2)."""
    assert parse_range("bytes=900-5000", TOTAL) == ByteRange(900, 999)


def test_closed_range_with_huge_last_pos_is_clamped():
    """Arbitrarily large last-pos values (beyond int()'s 4300-digit limit) are fine."""
    assert parse_range("bytes=10-" + "9" * 5000, TOTAL) == ByteRange(10, 999)


def test_open_range_runs_to_end_of_file():
    """bytes=a- means from a to the last byte."""
    assert parse_range("bytes=990-", TOTAL) == ByteRange(990, 999)
    assert parse_range("bytes=0-", TOTAL) == ByteRange(0, 999)


def test_suffix_range_returns_last_n_bytes():
    """bytes=-n selects the final n bytes."""
    assert parse_range("bytes=-100", TOTAL) == ByteRange(900, 999)
    assert parse_range("bytes=-1", TOTAL) == ByteRange(999, 999)


def test_suffix_range_longer_than_file_returns_whole_file():
    """A suffix longer than the file selects the entire representation as a 206 (§14.1.2)."""
    assert parse_range("bytes=-5000", TOTAL) == ByteRange(0, 999)
    assert parse_range("bytes=-" + "9" * 5000, TOTAL) == ByteRange(0, 999)


def test_leading_zeros_are_plain_digits():
    """1*DIGIT allows leading zeros; they don't change the value."""
    assert parse_range("bytes=007-010", TOTAL) == ByteRange(7, 10)


@pytest.mark.parametrize(
    "header",
    ["bytes=0-99", " bytes=0-99 ", "bytes = 0-99", "bytes= 0 - 99", "bytes=\t0-99\t", "bytes=0-99,", "bytes=,0-99, ,"],
)
def test_whitespace_and_empty_list_elements_are_tolerated(header):
    """OWS around tokens and empty list elements must not break parsing (§5.6.1)."""
    assert parse_range(header, TOTAL) == ByteRange(0, 99)


@pytest.mark.parametrize("unit", ["BYTES", "Bytes", "bYtEs"])
def test_bytes_unit_is_case_insensitive(unit):
    """Range units are compared case-insensitively (§14.1)."""
    assert parse_range(f"{unit}=0-99", TOTAL) == ByteRange(0, 99)


# --- parse_range: 416 cases ----------------------------------------------------


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=1000-2000", "bytes=5000-", "bytes=" + "9" * 5000 + "-"])
def test_first_pos_at_or_past_end_is_not_satisfiable(header):
    """An int-range is satisfiable only if first-pos < length (§14.1.1)."""
    with pytest.raises(RangeNotSatisfiable) as info:
        parse_range(header, TOTAL)
    assert info.value.total == TOTAL


@pytest.mark.parametrize("header", ["bytes=-0", "bytes=-000"])
def test_zero_length_suffix_is_not_satisfiable(header):
    """A suffix-range needs a non-zero suffix-length to be satisfiable (§14.1.1)."""
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, TOTAL)


@pytest.mark.parametrize("header", ["bytes=0-", "bytes=0-0", "bytes=0-99", "bytes=-0"])
def test_int_range_on_empty_file_is_not_satisfiable(header):
    """An empty file has no first byte, so every int-range is unsatisfiable."""
    with pytest.raises(RangeNotSatisfiable) as info:
        parse_range(header, 0)
    assert info.value.content_range == "bytes */0"


def test_suffix_range_on_empty_file_serves_empty_whole_file():
    """§14.1.1 calls a non-zero suffix on an empty file satisfiable, yet a zero-byte 206
    has no valid Content-Range, so we answer 200 with the (empty) whole file instead."""
    assert parse_range("bytes=-10", 0) is None


# --- parse_range: properties ---------------------------------------------------


@given(
    total=st.integers(min_value=1, max_value=10_000),
    a=st.integers(min_value=0, max_value=20_000),
    span=st.integers(min_value=0, max_value=20_000),
)
def test_valid_closed_range_lies_inside_file_with_clamped_length(total, a, span):
    """For any valid a-b: the result is inside [0,total) with length min(b,total-1)-a+1,
    or 416 exactly when a >= total."""
    b = a + span
    if a >= total:
        with pytest.raises(RangeNotSatisfiable):
            parse_range(f"bytes={a}-{b}", total)
        return
    r = parse_range(f"bytes={a}-{b}", total)
    assert r is not None
    assert 0 <= r.start <= r.end < total
    assert r.start == a
    assert r.length == min(b, total - 1) - a + 1


@given(total=st.integers(min_value=1, max_value=10_000), n=st.integers(min_value=1, max_value=20_000))
def test_valid_suffix_range_ends_at_last_byte(total, n):
    """A non-zero suffix always ends at the last byte and is min(n, total) long."""
    r = parse_range(f"bytes=-{n}", total)
    assert r is not None
    assert r.end == total - 1
    assert r.length == min(n, total)


@given(header=st.text(), total=st.integers(min_value=0, max_value=10_000))
def test_arbitrary_header_never_raises_anything_but_not_satisfiable(header, total):
    """Client-controlled input must never crash the handler."""
    try:
        r = parse_range(header, total)
    except RangeNotSatisfiable:
        return
    assert r is None or 0 <= r.start <= r.end < total


# --- if_range_allows_partial ---------------------------------------------------


def test_no_if_range_allows_partial():
    """Without If-Range, Range is evaluated normally."""
    assert if_range_allows_partial(None, ETAG, MODIFIED) is True


def test_if_range_strong_etag_match_allows_partial():
    """An identical strong entity-tag means the client's partial copy is still current."""
    assert if_range_allows_partial(ETAG, ETAG, MODIFIED) is True
    assert if_range_allows_partial(f"  {ETAG} ", ETAG, None) is True


def test_if_range_etag_mismatch_sends_whole_file():
    """A different entity-tag means the file changed: send all of it with 200."""
    assert if_range_allows_partial('"ffffffffffffffffffffffffffffffff"', ETAG, MODIFIED) is False


def test_if_range_weak_etag_never_matches():
    """If-Range requires strong comparison; a weak tag never matches (§13.1.5)."""
    assert if_range_allows_partial(f"W/{ETAG}", ETAG, MODIFIED) is False
    assert if_range_allows_partial(f"W/{ETAG}", f"W/{ETAG}", MODIFIED) is False


def test_if_range_date_equal_to_last_modified_allows_partial():
    """An HTTP-date exactly matching Last-Modified validates the partial copy."""
    assert if_range_allows_partial(MODIFIED_HTTP, ETAG, MODIFIED) is True


def test_if_range_date_compares_to_the_second():
    """HTTP-dates have one-second resolution, so sub-second Last-Modified still matches."""
    assert if_range_allows_partial(MODIFIED_HTTP, ETAG, MODIFIED.replace(microsecond=654321)) is True


@pytest.mark.parametrize(
    "value",
    ["Tuesday, 05-Mar-24 14:30:15 GMT", "Tue Mar  5 14:30:15 2024"],
)
def test_if_range_obsolete_date_formats_are_understood(value):
    """Recipients must accept rfc850 and asctime HTTP-dates as well (§5.6.7)."""
    assert if_range_allows_partial(value, ETAG, MODIFIED) is True


def test_if_range_date_with_naive_last_modified_is_treated_as_utc():
    """A naive Last-Modified is assumed to be UTC."""
    assert if_range_allows_partial(MODIFIED_HTTP, ETAG, MODIFIED.replace(tzinfo=None)) is True


@pytest.mark.parametrize("delta", [timedelta(seconds=-1), timedelta(seconds=1), timedelta(days=-30)])
def test_if_range_date_older_or_newer_sends_whole_file(delta):
    """Only an exact match counts; an older or newer date means the file may differ."""
    assert if_range_allows_partial(MODIFIED_HTTP, ETAG, MODIFIED + delta) is False


def test_if_range_date_without_last_modified_sends_whole_file():
    """With no Last-Modified there is nothing for a date to match."""
    assert if_range_allows_partial(MODIFIED_HTTP, ETAG, None) is False


@pytest.mark.parametrize("value", ["", "garbage", "Tue, 32 Mar 2024 14:30:15 GMT", "0123456789abcdef", "W/"])
def test_if_range_garbage_sends_whole_file(value):
    """An unparseable If-Range can't prove freshness, so the safe answer is a full 200."""
    assert if_range_allows_partial(value, ETAG, MODIFIED) is False


@given(value=st.text())
def test_if_range_arbitrary_value_never_raises(value):
    """Client-controlled input must never crash the handler."""
    assert isinstance(if_range_allows_partial(value, ETAG, MODIFIED), bool)


# --- etag_for --------------------------------------------------------------------


def test_etag_for_is_strong_quoted_first_32_hex_chars():
    """ETag is a strong quoted tag built from the content hash."""
    digest = "ab" * 32
    assert etag_for(digest) == f'"{digest[:32]}"'
    assert not etag_for(digest).startswith("W/")


def test_etag_for_matches_itself_in_if_range():
    """The ETag we emit must satisfy If-Range when echoed back."""
    tag = etag_for("0f" * 32)
    assert if_range_allows_partial(tag, tag, None) is True


@pytest.mark.parametrize("bad", ["", "abc", "z" * 64])
def test_etag_for_rejects_non_hex_or_short_input(bad):
    """A malformed digest would yield a misleading validator, so fail loudly."""
    with pytest.raises(ValueError):
        etag_for(bad)
