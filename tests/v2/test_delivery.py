"""Across surfaces: a version uploaded through the main API, downloads added
through v2, a token minted through the main API; the buyer's page lists the
version's files and then the product's media files, and each downloads
with its original bytes (Range included)."""

from __future__ import annotations

import hashlib
import random

import pytest

from hub.http_range import etag_for
from hub.tables import DownloadSession
from tests.conftest import ok
from tests.support.catalog import upload_version
from tests.v2.conftest import PNG, PRODUCT, add_download, created, data_uri, md5

KICK = random.Random(1).randbytes(40_000)
COVER = PNG + random.Random(2).randbytes(5_000)  # a PNG with trailing bytes: still only bytes to the hub
LINER_NOTES = b"%PDF-1.7 Liner notes of Epic Drum Kit"
JSON = {"Accept": "application/json"}


async def put_on_sale(client, org) -> dict:
    """Version 1.0.0 with kick.wav, a cover and liner notes added through v2,
    and a token: returns the token as the main API answered it."""
    ok(await client.post("/api/products", json={"name": "Epic Drum Kit", "slug": PRODUCT}, headers=org.member), 201)
    await upload_version(client, org.member, PRODUCT, "1.0.0", {"kick.wav": KICK})
    cover = {"src": data_uri(COVER), "filename": "cover.png", "directory": "\u02dc/content/images/products"}
    created(await add_download(client, org, cover))
    created(await add_download(client, org, data_uri(LINER_NOTES, "application/pdf")))
    return ok(await client.post(f"/api/products/{PRODUCT}/tokens", json={}, headers=org.member), 201)["token"]


async def page(client, token: dict) -> dict:
    return ok(await client.get(token["downloadUrl"], headers=JSON))


async def test_download_page_lists_version_files_then_media_files(client, org):
    token = await put_on_sale(client, org)
    files = (await page(client, token))["files"]
    assert [f["path"] for f in files] == [
        "kick.wav",
        f"media/documents/{md5(LINER_NOTES)}.pdf",
        "media/images/products/cover.png",
    ]
    cover = files[2]
    assert cover["size"] == len(COVER) and cover["sha256"] == hashlib.sha256(COVER).hexdigest()
    assert cover["id"].startswith("media_")
    assert cover["url"].endswith(f"/download/files/{cover['id']}/cover.png?token={token['token']}")

    html = (await client.get(token["downloadUrl"])).text
    assert "media/images/products/cover.png" in html and "3 files" in html


async def test_media_added_after_the_token_is_delivered_too(client, org):
    token = await put_on_sale(client, org)
    created(await add_download(client, org, {"src": data_uri(b"late"), "filename": "late.png"}))
    assert "media/images/late.png" in [f["path"] for f in (await page(client, token))["files"]]


async def test_only_the_products_own_media_is_delivered(client, org, other_org):
    token = await put_on_sale(client, org)
    ok(await client.post("/api/products", json={"name": "Other", "slug": "other"}, headers=org.member), 201)
    created(await add_download(client, org, {"src": data_uri(b"x"), "filename": "other.png"}, product="other"))
    ok(await client.post("/api/products", json={"name": "Theirs", "slug": PRODUCT}, headers=other_org.member), 201)
    created(await add_download(client, other_org, {"src": data_uri(b"y"), "filename": "theirs.png"}))
    paths = [f["path"] for f in (await page(client, token))["files"]]
    assert "media/images/other.png" not in paths and "media/images/theirs.png" not in paths
    assert len(paths) == 3


@pytest.mark.parametrize("storage", ["local", "s3"])
async def test_media_file_downloads_with_its_bytes_and_resumes(client, org):
    token = await put_on_sale(client, org)
    files = {f["path"]: f for f in (await page(client, token))["files"]}
    cover = files["media/images/products/cover.png"]

    whole = await client.get(cover["url"])
    assert whole.status_code == 200, whole.text
    assert whole.content == COVER
    assert whole.headers["etag"] == etag_for(cover["sha256"])
    assert 'filename="cover.png"' in whole.headers["content-disposition"]

    part = await client.get(cover["url"], headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.content == COVER[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(COVER)}"
    tail = await client.get(cover["url"], headers={"Range": "bytes=-10", "If-Range": whole.headers["etag"]})
    assert tail.status_code == 206 and tail.content == COVER[-10:]

    kick = await client.get(files["kick.wav"]["url"])
    assert kick.status_code == 200 and kick.content == KICK
    notes = await client.get(files[f"media/documents/{md5(LINER_NOTES)}.pdf"]["url"])
    assert notes.status_code == 200 and notes.content == LINER_NOTES

    # One download session, which delivered every file of the download.
    sessions = await DownloadSession.select(DownloadSession.files, DownloadSession.status)
    assert sessions == [{"files": 3, "status": "completed"}]
