"""Secrets never reach a log line, however a client wrote them."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.logs import RedactSecrets, guard_server_logs, redact
from hub.secrets import SECRET_PREFIXES, new_secret
from hub.web.access_log import AccessLog, access_line
from tests.support.server import hub_server


def test_request_lines_lose_their_token():
    line = "GET /download?token=ct_download_AbC-123_x&x=1 HTTP/1.1"
    assert redact(line) == "GET /download?token=ct_download_[redacted]&x=1 HTTP/1.1"


def test_access_log_records_are_redacted():
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", "/download/files/f/x.wav?token=ct_download_secret", "1.1", 200), None,
    )
    RedactSecrets().filter(record)
    assert "ct_download_secret" not in record.getMessage()
    assert "ct_download_[redacted]" in record.getMessage()


def scope(raw_path: bytes, query: bytes = b"", client=("198.51.100.4", 5123)) -> dict:
    return {
        "type": "http", "method": "GET", "http_version": "1.1", "client": client, "root_path": "",
        "path": raw_path.decode(), "raw_path": raw_path, "query_string": query, "headers": [],
    }


def test_the_request_line_is_uvicorns_with_the_target_as_sent_and_redacted():
    token = new_secret("ct_download_")
    assert access_line(scope(b"/download", f"token={token}".encode()), 200) == (
        'INFO:     198.51.100.4:5123 - "GET /download?token=ct_download_[redacted] HTTP/1.1" 200\n'
    )
    # A decoded line break would forge a second line: the target stays as the client sent it.
    forged = access_line(scope(b"/x%0AINFO:%20fake", b"a=%0D%0A"), 404)
    assert forged.count("\n") == 1 and "/x%0AINFO:%20fake?a=%0D%0A" in forged
    assert access_line(scope(b"/", client=None), 200).startswith('INFO:     - - "GET / HTTP/1.1"')


class CountedWrites(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


async def test_request_lines_made_together_are_written_together_once_the_loop_is_free():
    stream = CountedWrites()

    async def answer(scope, receive, send):
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def ignore(message):
        return None

    logged = AccessLog(answer, stream=stream)
    await asyncio.gather(*(logged(scope(f"/r{n}".encode()), None, ignore) for n in range(3)))
    await asyncio.sleep(0)
    assert [line.split('"')[1] for line in stream.getvalue().splitlines()] == [f"GET /r{n} HTTP/1.1" for n in range(3)]
    assert stream.writes == 1
    await logged(scope(b"/later"), None, ignore)
    assert stream.writes == 1  # kept until the loop comes round
    await asyncio.sleep(0)
    assert stream.writes == 2 and stream.getvalue().endswith('"GET /later HTTP/1.1" 204\n')


def percent_all(text: str, hex_format: str) -> str:
    return "".join(hex_format % ord(c) for c in text)


ENCODINGS = {
    "plain": lambda s: s,
    "underscores as %5F": lambda s: s.replace("_", "%5F"),
    "underscores as %5f": lambda s: s.replace("_", "%5f"),
    "every character, upper-case hex": lambda s: percent_all(s, "%%%02X"),
    "every character, lower-case hex": lambda s: percent_all(s, "%%%02x"),
    "mixed": lambda s: "".join(f"%{ord(c):02x}" if i % 3 == 0 else f"%{ord(c):02X}" if i % 3 == 1 else c for i, c in enumerate(s)),
    "encoded twice": lambda s: s.replace("_", "%255F").replace("-", "%252D"),
    "JSON escapes": lambda s: s.replace("_", "\\u005f"),
    "upper case": lambda s: s.upper(),
}


@pytest.mark.parametrize("prefix", SECRET_PREFIXES)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_kind_of_secret_is_redacted_in_every_encoding(prefix, encoding):
    secret = new_secret(prefix)
    body = secret[len(prefix):]
    written = ENCODINGS[encoding](secret)
    line = redact(f"GET /x?token={written}&next=1 Referer: https://shop.example/download?token={written}")
    assert body not in line and ENCODINGS[encoding](body) not in line
    assert body[4:-4] not in line  # not even a piece of it
    assert line.count(f"{prefix}[redacted]") == 2, line


def test_a_secret_of_a_kind_the_logs_do_not_know_cannot_be_minted():
    with pytest.raises(ValueError, match="SECRET_PREFIXES"):
        new_secret("ct_newkind_")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every record of the process, as a handler on the root logger writes it."""
    guard_server_logs()
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield output
    finally:
        root.removeHandler(handler)


def test_messages_arguments_and_tracebacks_of_any_logger_are_redacted(captured):
    sign_in = new_secret("ct_signin_")
    token = new_secret("ct_download_")
    key = new_secret("ct_key_")
    for name in ("hub", "hub.outbox", "continuata_plugins.stripe", "some.library"):
        logger = logging.getLogger(name)
        logger.warning("link %s", f"https://hub.example/my/sign-in?token={sign_in.replace('_', '%5F')}")
        logger.warning("Referer: %s", httpx.URL(f"https://hub.example/download?token={token}"))
        logger.warning("header %(auth)s", {"auth": f"Bearer {key}"})
        try:
            raise RuntimeError(f"could not open /download?token={token}")
        except RuntimeError:
            logger.exception("failed with %s", key)
    text = captured.getvalue()
    for secret in (sign_in, token, key):
        assert secret[len("ct_signin_"):][:20] not in text and secret.split("_", 2)[-1] not in text, text
    assert text.count("Traceback") == 4 and "ct_download_[redacted]" in text


def test_the_servers_access_log_holds_no_sign_in_link_or_token_however_encoded(tmp_path):
    sign_in = new_secret("ct_signin_")
    token = new_secret("ct_download_")
    with hub_server(tmp_path) as hub:
        with httpx.Client(base_url=hub.url) as client:
            client.get("/my/sign-in", params={"token": sign_in})
            client.get(f"/my/sign-in?token={sign_in.replace('_', '%5F')}")
            client.get(f"/download?token={percent_all(token, '%%%02x')}")
            client.get(f"/download?token={token.replace('_', '%5f')}", headers={"Referer": f"https://x/?t={token}"})
        log = hub.log_text_with('"GET /download?token=', times=2)  # the last two requests' lines
    assert "GET /my/sign-in?token=ct_signin_[redacted]" in log, log
    assert "GET /download?token=ct_download_[redacted]" in log, log
    for secret in (sign_in, token):
        assert secret.split("_", 2)[-1][:16] not in log, log


@given(st.lists(st.sampled_from(["ct_", "CT_", "download_", "key_", "signin_", "my_", "x", "-", "_", " ", "?t=", "é", "\n"])
                .map("".join) | st.text(max_size=60), min_size=1, max_size=8).map("".join))
def test_the_quick_redaction_of_plain_text_blanks_what_the_full_one_does(text):
    from hub.logs import SECRET_IN_TEXT, _blank

    assert redact(text) == SECRET_IN_TEXT.sub(_blank, text)
