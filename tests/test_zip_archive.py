"""Download all: a version's files as one ZIP, made on the fly, resumable.

The layout (:mod:`hub.archive`) is checked against the readers buyers use
(Info-ZIP ``unzip -t``, 7-Zip ``7z t``, libarchive ``bsdtar -tf``, Python's
``zipfile.testzip``), with Zip64 by entry count and by a > 4 GiB sparse
file; every byte range equals the same slice of the whole. Through the hub
(SQLite and PostgreSQL, local storage and S3): the page's button, the
archive's headers and bytes, Range / If-Range / 416, one download spent for
a whole, resumed and split fetch (also by ``curl -C -``, ``wget -c`` and
``aria2c -x8`` against a real server), the report's bytes, the events, the
CRC-32 backfill, and presigned redirects that leave the archive with the hub.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import html
import io
import os
import random
import re
import shutil
import subprocess
import zipfile
import zlib
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar import Litestar

from hub.archive import ArchiveEntry, ArchiveLayout, BodySlice, archive_name, archive_size, layout_archive
from hub.plugins.hookspecs import hookimpl
from hub.services.archives import fill_missing_crc32
from hub.settings import Settings
from hub.tables import Event, VersionFile
from hub.testing.app import make_app
from tests.conftest import PUBLIC_URL, Org, ok
from tests.support.catalog import sell
from tests.support.server import hub_server

MOMENT = datetime(2026, 12, 1, 10, 30, 14)


def payload(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


PACK = {
    "Kicks/Kick_01.wav": payload(1_500_000, 1),  # more than one 1 MiB chunk
    "Crash/Crash_01.wav": payload(300_000, 2),
    "Snares/Crash_01.wav": payload(70_000, 3),  # the same name in another folder
    "Textures/Über Pad ♪.wav": payload(5_000, 4),
    "README.txt": b"Thanks for buying!\n",
    "empty.txt": b"",
}

both_storages = pytest.mark.parametrize("storage", ["local", "s3"])
readers = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("unzip", "7z", "bsdtar")),
    reason="the archive readers are not installed (apt-get install unzip p7zip-full libarchive-tools)",
)


def entries_of(files: dict[str, bytes]) -> list[ArchiveEntry]:
    return [ArchiveEntry(path, len(data), zlib.crc32(data), path) for path, data in files.items()]


def assemble(layout: ArchiveLayout, files: dict[str, bytes], start: int, end: int) -> bytes:
    """Bytes ``start``..``end`` of the archive, from the layout's pieces."""
    out = bytearray()
    for piece in layout.pieces(start, end):
        out += files[piece.entry.key][piece.offset : piece.offset + piece.length] if isinstance(piece, BodySlice) else piece
    return bytes(out)


def run_readers(path: Path, entries: int, only: tuple[str, ...] = ()) -> None:
    """Every reader opens and checks the archive (``only`` these entries),
    and sees ``entries`` entries."""
    tested = subprocess.run(["unzip", "-t", str(path), *only], capture_output=True, text=True)
    assert tested.returncode == 0 and "No errors detected" in tested.stdout, tested.stdout[-2000:] + tested.stderr
    listing = subprocess.run(["7z", "l", str(path)], capture_output=True, text=True)
    assert listing.returncode == 0 and re.search(rf"\b{entries} files\b", listing.stdout), listing.stdout[-500:]
    seven = subprocess.run(["7z", "t", str(path), *only], capture_output=True, text=True)
    assert seven.returncode == 0 and "Everything is Ok" in seven.stdout, seven.stdout[-2000:] + seven.stderr
    listed = subprocess.run(["bsdtar", "-tf", str(path)], capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) == entries
    if only:
        extracted = subprocess.run(["bsdtar", "-xOf", str(path), *only], capture_output=True)
        assert extracted.returncode == 0, extracted.stderr
    with zipfile.ZipFile(path) as archive:
        assert len(archive.infolist()) == entries
        if only:
            for name in only:
                archive.read(name)  # checks the CRC-32
        else:
            assert archive.testzip() is None


# --- the layout ------------------------------------------------------------------


@readers
def test_the_archive_opens_in_every_reader_with_its_folders_names_and_time(tmp_path):
    layout = layout_archive(entries_of(PACK), MOMENT)
    whole = assemble(layout, PACK, 0, layout.size - 1)
    path = tmp_path / "pack.zip"
    path.write_bytes(whole)
    run_readers(path, len(PACK))
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == sorted(PACK)  # path order, folders kept, UTF-8 names
        for info in archive.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            assert info.flag_bits & 0x0800  # the UTF-8 name flag
            assert info.date_time == (2026, 12, 1, 10, 30, 14)
            assert archive.read(info) == PACK[info.filename]
    extracted = tmp_path / "out"
    subprocess.run(["bsdtar", "-xf", str(path), "-C", str(extracted.mkdir() or extracted)], check=True)
    assert (extracted / "Textures/Über Pad ♪.wav").read_bytes() == PACK["Textures/Über Pad ♪.wav"]
    assert (extracted / "Snares/Crash_01.wav").read_bytes() == PACK["Snares/Crash_01.wav"]


def test_the_same_files_give_the_same_bytes_and_the_size_is_known_without_crcs():
    first = layout_archive(entries_of(PACK), MOMENT)
    again = layout_archive(list(reversed(entries_of(PACK))), MOMENT)
    assert assemble(first, PACK, 0, first.size - 1) == assemble(again, PACK, 0, again.size - 1)
    assert archive_size([(path, len(data)) for path, data in PACK.items()]) == first.size


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_range_of_the_archive_equals_the_same_slice_of_the_whole(data):
    files = {
        f"d{index}/{name}": payload(size, index)
        for index, (name, size) in enumerate(
            data.draw(st.lists(st.tuples(st.text(min_size=1, max_size=8).filter(lambda n: "/" not in n), st.integers(0, 300)), max_size=6))
        )
    }
    layout = layout_archive(entries_of(files), MOMENT)
    whole = assemble(layout, files, 0, layout.size - 1)
    assert len(whole) == layout.size == archive_size([(p, len(d)) for p, d in files.items()])
    start = data.draw(st.integers(0, layout.size - 1))
    end = data.draw(st.integers(start, layout.size - 1))
    assert assemble(layout, files, start, end) == whole[start : end + 1]


@readers
def test_more_than_65535_entries_use_zip64_and_every_reader_counts_them(tmp_path):
    files = {f"many/{index:05d}.txt": bytes([index % 251]) for index in range(65_536 + 4)}
    layout = layout_archive(entries_of(files), MOMENT)
    path = tmp_path / "many.zip"
    path.write_bytes(assemble(layout, files, 0, layout.size - 1))
    run_readers(path, len(files))


@readers
def test_an_archive_past_4_gib_uses_zip64_and_every_reader_opens_it(tmp_path):
    """A 4 GiB + 1 KiB file of zeros (sparse: nothing is written for its
    body) between two small ones: Zip64 sizes for it, a Zip64 offset for the
    entry after it, Zip64 end records."""
    big = (1 << 32) + 1024
    crc = 0
    zeros = bytes(1 << 24)
    for _ in range(big // len(zeros)):
        crc = zlib.crc32(zeros, crc)
    crc = zlib.crc32(bytes(big % len(zeros)), crc)
    small = {"a/first.txt": b"first", "c/last.txt": b"last"}
    entries = [*entries_of(small), ArchiveEntry("b/zeros.bin", big, crc, "zeros")]
    layout = layout_archive(entries, MOMENT)
    assert layout.size > big and layout.size == archive_size([(e.path, e.size) for e in entries])
    path = tmp_path / "big.zip"
    with open(path, "wb") as out:
        out.truncate(layout.size)  # a hole; only the headers and small bodies are written
        position = 0
        for piece in layout.pieces(0, layout.size - 1):
            if isinstance(piece, bytes):
                out.seek(position)
                out.write(piece)
                position += len(piece)
            elif piece.entry.key == "zeros":
                position += piece.length
            else:
                out.seek(position)
                out.write(small[piece.entry.path][piece.offset : piece.offset + piece.length])
                position += piece.length
    # The readers check the entries around the big one, found through its
    # Zip64 records; zipfile reads the big one whole (its CRC-32 checked at
    # the end), the fastest of them at reading 4 GiB.
    run_readers(path, 3, only=("a/first.txt", "c/last.txt"))
    with zipfile.ZipFile(path) as archive, archive.open("b/zeros.bin") as body:
        while body.read(1 << 24):
            pass
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("b/zeros.bin").file_size == big
        assert archive.read("c/last.txt") == b"last"


def test_the_saved_name_is_the_product_and_version():
    assert archive_name("Epic Drums", "1.0.0") == "Epic Drums 1.0.0.zip"
    assert archive_name("Drums / Vol. 1\n", "2.0.0") == "Drums - Vol. 1 2.0.0.zip"


# --- through the hub ---------------------------------------------------------------


@pytest.fixture
def download_redirect() -> bool:
    return False


@pytest.fixture
def settings(settings: Settings, download_redirect: bool) -> Settings:
    return dataclasses.replace(settings, download_redirect=download_redirect)


class DownloadListener:
    """A plugin listening to the download events: their events are stored."""

    @hookimpl
    def download_started(self, hub, token, file, session_id, first_in_session):
        pass

    @hookimpl
    def download_finished(self, hub, token, file, bytes_sent, completed):
        pass


@pytest.fixture
async def app(settings: Settings) -> Litestar:
    return make_app(settings, plugins=[("listener", DownloadListener())])


def buyer(app, user_agent: str = "Buyer/1.0", ip: str = "198.51.100.20") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(ip, 51000)), base_url=PUBLIC_URL, headers={"User-Agent": user_agent}
    )


async def archive_url(client: httpx.AsyncClient, download_url: str) -> str:
    """The page's "Download all" link, as a buyer would click it."""
    jar = httpx.Cookies(client.cookies)
    page = await client.get(download_url)
    client.cookies = jar
    assert page.status_code == 200, page.text
    found = re.search(r'href="([^"]*/download/archive/[^"]*)"[^>]*>Download all \(ZIP, (\d+) files, ([^)]*)\)', page.text)
    assert found, page.text
    assert int(found[2]) == len(PACK)
    return html.unescape(found[1])


async def used_count(client: httpx.AsyncClient, org: Org, product: str, token_id: str) -> int:
    tokens = ok(await client.get(f"/api/products/{product}/tokens", headers=org.viewer))["tokens"]
    return next(t["usedCount"] for t in tokens if t["id"] == token_id)


@both_storages
async def test_download_all_sends_the_version_as_a_zip_with_its_folders(app, client, org, storage):
    delivery = await sell(client, org.admin, PACK, max_downloads=3)
    url = await archive_url(client, delivery.download_url)
    async with buyer(app) as browser:
        response = await browser.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.headers["accept-ranges"] == "bytes"
    assert re.fullmatch(r'"zip-[0-9a-f]{32}"', response.headers["etag"])
    assert "filename*=UTF-8''Epic%20Drum%20Kit%201.0.0.zip" in response.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.testzip() is None
        assert {name: archive.read(name) for name in archive.namelist()} == PACK
    async with buyer(app, user_agent="Another/2.0") as other:
        again = await other.get(url)
    assert again.content == response.content and again.headers["etag"] == response.headers["etag"]


async def test_ranges_of_the_archive_equal_the_whole_and_if_range_restarts_a_stale_one(app, client, org):
    delivery = await sell(client, org.admin, PACK)
    url = await archive_url(client, delivery.download_url)
    async with buyer(app) as browser:
        whole = (await browser.get(url)).content
        etag = (await browser.head(url)).headers["etag"]
        rng = random.Random(7)
        for start, end in [(0, 0), (0, 29), (100, 1_600_000), (len(whole) - 22, len(whole) - 1), *(
            sorted((rng.randrange(len(whole)), rng.randrange(len(whole)))) for _ in range(12)
        )]:
            part = await browser.get(url, headers={"Range": f"bytes={start}-{end}", "If-Range": etag})
            assert part.status_code == 206, part.text
            assert part.headers["content-range"] == f"bytes {start}-{end}/{len(whole)}"
            assert part.content == whole[start : end + 1]
        suffix = await browser.get(url, headers={"Range": "bytes=-100"})
        assert suffix.status_code == 206 and suffix.content == whole[-100:]
        stale = await browser.get(url, headers={"Range": "bytes=10-", "If-Range": '"zip-00000000000000000000000000000000"'})
        assert stale.status_code == 200 and stale.content == whole
        beyond = await browser.get(url, headers={"Range": f"bytes={len(whole)}-"})
        assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(whole)}"
        assert beyond.json()["success"] is False


@both_storages
async def test_a_whole_resumed_and_split_archive_spends_one_download_and_is_reported_once(app, client, org, storage):
    delivery = await sell(client, org.admin, PACK, max_downloads=2)
    url = await archive_url(client, delivery.download_url)
    async with buyer(app) as browser:
        head = await browser.head(url)
        assert head.status_code == 200 and head.content == b""
        assert await used_count(client, org, delivery.product_id, delivery.token_id) == 0  # HEAD spends nothing
        total = int(head.headers["content-length"])
        first = await browser.get(url, headers={"Range": f"bytes=0-{total // 3}"})
        resumed = await browser.get(url, headers={"Range": f"bytes={total // 3 + 1}-"})
        assert first.content + resumed.content == (await browser.get(url)).content
        edges = [0, *sorted(random.Random(3).sample(range(1, total), 7)), total]
        segments = await asyncio.gather(
            *(browser.get(url, headers={"Range": f"bytes={a}-{b - 1}"}) for a, b in zip(edges, edges[1:], strict=False))
        )
        assert b"".join(s.content for s in segments) == first.content + resumed.content
    assert await used_count(client, org, delivery.product_id, delivery.token_id) == 1
    rows = (await client.get("/api/reports/downloads", headers=org.admin)).text.splitlines()
    assert len(rows) == 2, rows  # the header and one session
    report = dict(zip(rows[0].split(","), rows[1].split(","), strict=False))
    assert int(report["bytes_sent"]) == 3 * total  # the split, the resume and the whole: what really went out
    assert report["status"] == "completed"
    events = await Event.select(Event.payload).where(Event.type == "download_finished").output(load_json=True)
    assert events and all(e["payload"]["file"]["path"] == "Epic Drum Kit 1.0.0.zip" for e in events)
    assert any(e["payload"]["completed"] for e in events)
    started = await Event.select(Event.payload).where(Event.type == "download_started").output(load_json=True)
    assert sum(e["payload"]["first_in_session"] for e in started) == 1


async def test_an_archive_of_files_without_crc32_is_prepared_by_the_worker_first(app, client, org):
    delivery = await sell(client, org.admin, PACK)
    url = await archive_url(client, delivery.download_url)
    async with buyer(app) as browser:
        before = await browser.get(url)
        # Files uploaded before the hub recorded CRC-32s: none recorded.
        await VersionFile.update({VersionFile.crc32: None}, force=True)
        app.state.hub.db.ready_versions.__init__()  # a fresh process
        waiting = await browser.get(url)
        assert waiting.status_code == 503 and waiting.headers["retry-after"] == "60"
        assert "being prepared" in waiting.json()["error"]
        page = await browser.get(url, headers={"Accept": "text/html"})
        assert page.status_code == 503 and "being prepared" in page.text
        assert await fill_missing_crc32(app.state.hub, batch=4) == 4
        assert await fill_missing_crc32(app.state.hub) == len(PACK) - 4
        assert await fill_missing_crc32(app.state.hub) == 0  # done, and done once
        after = await browser.get(url)
    assert after.status_code == 200 and after.content == before.content
    assert after.headers["etag"] == before.headers["etag"]
    crcs = {row["path"]: row["crc32"] for row in await VersionFile.select(VersionFile.path, VersionFile.crc32)}
    assert crcs == {path: zlib.crc32(data) for path, data in PACK.items()}


async def test_uploads_record_the_crc32_beside_the_sha256(client, org):
    await sell(client, org.admin, PACK)
    rows = await VersionFile.select(VersionFile.path, VersionFile.crc32, VersionFile.sha256)
    assert {r["path"]: (r["crc32"], r["sha256"]) for r in rows} == {
        path: (zlib.crc32(data), hashlib.sha256(data).hexdigest()) for path, data in PACK.items()
    }


@pytest.mark.parametrize("storage", ["s3"])
@pytest.mark.parametrize("download_redirect", [True])
async def test_with_presigned_redirects_the_archive_is_still_served_by_the_hub(app, client, org, storage, download_redirect):
    delivery = await sell(client, org.admin, PACK)
    url = await archive_url(client, delivery.download_url)
    async with buyer(app) as browser:
        response = await browser.get(url)
        single = await browser.get(delivery.url("README.txt"))
    assert single.status_code == 302  # single files do go to S3
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.read("Kicks/Kick_01.wav") == PACK["Kicks/Kick_01.wav"]


async def test_a_preview_bot_is_sent_to_the_page_and_a_bad_token_is_404(app, client, org):
    delivery = await sell(client, org.admin, PACK)
    url = await archive_url(client, delivery.download_url)
    async with buyer(app, user_agent="Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)") as bot:
        assert (await bot.get(url)).status_code == 303
    assert await used_count(client, org, delivery.product_id, delivery.token_id) == 0
    async with buyer(app) as browser:
        unknown = await browser.get(url.split("?")[0] + "?token=ct_dl_nothing")
    assert unknown.status_code == 404 and unknown.json()["success"] is False


# --- real clients against a real server --------------------------------------------


@pytest.mark.skipif(not all(shutil.which(tool) for tool in ("curl", "wget", "aria2c")), reason="curl, wget or aria2c missing")
def test_curl_wget_and_aria2c_resume_and_split_the_archive_and_spend_one_download(tmp_path):
    pack = {**PACK, "Loops/long.wav": payload(6 << 20, 9)}  # room for aria2c's eight 1 MiB segments
    with hub_server(tmp_path / "hub") as server, httpx.Client(base_url=server.url, headers=server.auth) as api:
        api.post("/api/products", json={"name": "Epic Drum Kit", "slug": "drums"}).raise_for_status()
        manifest = [{"path": p, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for p, d in pack.items()]
        api.post("/api/products/drums/versions", json={"version": "1.0.0", "files": manifest}).raise_for_status()
        for path, data in pack.items():
            upload = api.post("/api/products/drums/versions/1.0.0/uploads", json={"path": path}).json()["data"]["upload"]
            for part in upload["parts"]:
                offset = (part["partNumber"] - 1) * upload["partSize"]
                api.put(f"/api/uploads/{upload['id']}/parts/{part['partNumber']}", content=data[offset : offset + part["size"]]).raise_for_status()
            api.post(f"/api/uploads/{upload['id']}/complete").raise_for_status()
        token = api.post("/api/products/drums/tokens", json={"maxDownloads": 1}).json()["data"]["token"]
        page = httpx.get(token["downloadUrl"]).text
        url = html.unescape(re.search(r'href="([^"]*/download/archive/[^"]*)"', page)[1])
        agent = "Buyer/1.0"

        whole = tmp_path / "whole.zip"
        subprocess.run(["curl", "-sSf", "-A", agent, "-o", str(whole), url], check=True)
        data = whole.read_bytes()
        with zipfile.ZipFile(whole) as archive:
            assert archive.testzip() is None and {n: archive.read(n) for n in archive.namelist()} == pack

        by_curl = tmp_path / "curl.zip"
        by_curl.write_bytes(data[:1_000_000])  # an interrupted download
        subprocess.run(["curl", "-sSf", "-A", agent, "-C", "-", "-o", str(by_curl), url], check=True)
        assert by_curl.read_bytes() == data

        by_wget = tmp_path / "wget.zip"
        by_wget.write_bytes(data[:2_345_678])
        subprocess.run(["wget", "-q", "-c", "-U", agent, "-O", str(by_wget), url], check=True)
        assert by_wget.read_bytes() == data

        subprocess.run(
            ["aria2c", "-q", "-x8", "-s8", "-k1M", "--min-split-size=1M", "-U", agent, "--allow-overwrite=true",
             "-d", str(tmp_path), "-o", "aria2.zip", url],
            check=True,
        )
        assert (tmp_path / "aria2.zip").read_bytes() == data
        if shutil.which("unzip"):
            run_readers(tmp_path / "aria2.zip", len(pack))

        tokens = api.get("/api/products/drums/tokens").json()["data"]["tokens"]
        assert tokens[0]["usedCount"] == 1  # maxDownloads 1, and every fetch above got its bytes
        refused = subprocess.run(["curl", "-s", "-o", os.devnull, "-w", "%{http_code}", "-A", "Other/1.0", url], capture_output=True, text=True)
        assert refused.stdout == "403"


# --- /my -----------------------------------------------------------------------------


async def test_my_offers_download_all_and_it_opens_a_fresh_links_zip(settings):
    from hub.services.purchases import PurchaseIn, PurchaseItem, record_purchase
    from hub.testing.app import hub_client, make_org
    from hub.testing.mailbox import CapturedMailbox, PlainEmails
    from hub.testing.products import ready_product
    from tests.conftest import _empty_postgres
    from tests.test_my import csrf_of, sign_in

    mailbox = CapturedMailbox()
    app = make_app(settings, plugins=[("mailbox", mailbox), ("plain", PlainEmails())], entry_points="none")
    async with hub_client(app) as client:
        await _empty_postgres(app)
        client.hub = app.state.hub
        await ready_product(client, await make_org("drum-shop"), slug="pack", name="Epic Drum Kit", files=PACK)
        await record_purchase(
            client.hub,
            PurchaseIn(org="drum-shop", provider="api", provider_ref="order-1", customer_email="buyer@example.com",
                       items=[PurchaseItem("pack")]),
        )
        await mailbox.wait_for(1)
        await sign_in(client, mailbox)
        page = (await client.get("/my")).text
        size = archive_size([(path, len(data)) for path, data in PACK.items()])
        assert f"Download all (ZIP, {len(PACK)} files, " in page
        token_id = re.search(r'action="/my/links/([^"]+)"', page)[1]
        opened = await client.post(f"/my/links/{token_id}", data={"_csrf_token": csrf_of(page), "archive": "1"})
        assert opened.status_code == 303
        location = opened.headers["location"]
        assert "/download/archive/Epic%20Drum%20Kit%201.0.0.zip?token=ct_download_" in location
        archive = await client.get(location.removeprefix(PUBLIC_URL))
    assert archive.status_code == 200 and len(archive.content) == size
    with zipfile.ZipFile(io.BytesIO(archive.content)) as opened_zip:
        assert opened_zip.read("Kicks/Kick_01.wav") == PACK["Kicks/Kick_01.wav"]


# --- the server's zero-copy bodies between literal bytes ------------------------------


@pytest.mark.parametrize("protocol", ["httptools+uvloop", "h11+asyncio"])
def test_the_servers_send_file_slices_between_literal_bytes_in_one_response(tmp_path, protocol):
    """``hub.sendfile`` with ``more_body``: what a ZIP is made of (headers,
    a body from a file, headers, another body) in one response."""
    from hub.bypasses.sendfile_server import SendfileH11Protocol, SendfileHttpToolsProtocol
    from tests.test_sendfile_server import serving

    blob = tmp_path / "blob"
    data = payload(3 << 20, 11)
    blob.write_bytes(data)
    expected = b"HEAD1" + data[10 : (2 << 20) + 10] + b"MIDDLE" + data[-1000:] + b"END"
    sent: list[int] = []

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(expected)).encode())]})
        await send({"type": "http.response.body", "body": b"HEAD1", "more_body": True})
        first = {"type": "hub.sendfile", "path": str(blob), "offset": 10, "count": 2 << 20, "more_body": True}
        await send(first)
        await send({"type": "http.response.body", "body": b"MIDDLE", "more_body": True})
        second = {"type": "hub.sendfile", "path": str(blob), "offset": len(data) - 1000, "count": 1000, "more_body": True}
        await send(second)
        await send({"type": "http.response.body", "body": b"END", "more_body": False})
        sent.extend([first["sent"], second["sent"]])

    chosen, loop = (SendfileHttpToolsProtocol, "uvloop") if protocol == "httptools+uvloop" else (SendfileH11Protocol, "asyncio")
    with serving(app, chosen, loop) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
        for _ in range(2):  # the connection is kept alive and serves the next response too
            response = http.get("/")
            assert response.status_code == 200 and response.content == expected
    assert sent == [2 << 20, 1000, 2 << 20, 1000]
