"""The hub as a shop runs it: real processes on a real port.

``continuata-hub init`` creates the database and prints an admin key,
``continuata-hub serve`` runs the server as a subprocess, and
``continuata-hub upload --activate`` sends a folder (one file larger than a
part) through the multipart upload API. Then a buyer fetches the page,
streams every file with httpx, breaks one transfer halfway and resumes it
with a Range request, and checks every SHA-256 against the originals; the
shop sees the session in the CSV report. Runs on SQLite with local storage,
SQLite with S3 (the moto server on loopback), and PostgreSQL with S3.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import POSTGRES_URL
from tests.support.server import HubServer, hub_server, pairing_settings

CLI = shutil.which("continuata-hub", path=str(Path(sys.executable).parent)) or "continuata-hub"
PART_SIZE = 5 * 1024 * 1024
BROWSER = "Mozilla/5.0 (E2E) Firefox/128.0"

VARIANTS = [
    pytest.param(("sqlite", "local"), id="sqlite-local"),
    pytest.param(("sqlite", "s3"), id="sqlite-s3"),
    pytest.param(
        ("postgres", "s3"),
        id="postgres-s3",
        marks=pytest.mark.skipif(
            not POSTGRES_URL,
            reason="PostgreSQL tests need HUB_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)",
        ),
    ),
]


@pytest.fixture(params=VARIANTS)
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HubServer]:
    """``init`` then ``serve`` on a free port; the server is stopped however the test ends."""
    settings = pairing_settings(request, *request.param, HUB_UPLOAD_PART_SIZE=str(PART_SIZE))
    with hub_server(tmp_path, **settings) as server:
        yield server


def cli(env: dict[str, str], cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """The installed ``continuata-hub`` console command, as a user types it."""
    done = subprocess.run([CLI, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"continuata-hub {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


def make_folder(root: Path) -> dict[str, bytes]:
    """A product folder: one file spans three upload parts, one is empty, one has a non-ASCII name."""
    files = {
        "Kicks/Big Kick.wav": os.urandom(12 * 1000 * 1000),
        "Snares/snare 01.wav": os.urandom(300_000),
        "Loops/Grüße – Loop.wav": os.urandom(70_000),
        "README.txt": b"Thanks for your purchase!\n",
        "empty.txt": b"",
    }
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return files


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download(browser: httpx.Client, url: str) -> bytes:
    received = bytearray()
    with browser.stream("GET", url) as response:
        assert response.status_code == 200, response.read()
        assert int(response.headers["content-length"]) >= 0
        for chunk in response.iter_bytes():
            received += chunk
    return bytes(received)


def download_with_a_break(browser: httpx.Client, url: str, size: int) -> bytes:
    """Stream half the file, drop the connection, and resume from where it stopped."""
    received = bytearray()
    with browser.stream("GET", url) as response:
        assert response.status_code == 200
        etag = response.headers["etag"]
        for chunk in response.iter_raw(64 * 1024):
            received += chunk
            if len(received) >= size // 2:
                break  # leaving the block closes the connection mid-body
    assert 0 < len(received) < size
    with browser.stream("GET", url, headers={"Range": f"bytes={len(received)}-", "If-Range": etag}) as rest:
        assert rest.status_code == 206
        assert rest.headers["content-range"] == f"bytes {len(received)}-{size - 1}/{size}"
        for chunk in rest.iter_bytes():
            received += chunk
    return bytes(received)


def report_rows(api: httpx.Client) -> list[dict[str, str]]:
    response = api.get("/api/reports/downloads")
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def test_shop_uploads_a_folder_and_a_buyer_downloads_and_resumes_every_file(hub: HubServer, tmp_path: Path):
    folder = tmp_path / "Epic Drums 1.0"
    files = make_folder(folder)
    total = sum(len(data) for data in files.values())

    with httpx.Client(base_url=hub.url, headers=hub.auth, timeout=30) as api:
        created = api.post("/api/products", json={"name": "Epic Drum Kit", "slug": "epic-drums"})
        assert created.status_code == 201, created.text

        upload_env = {**hub.env, "HUB_API_URL": hub.url, "HUB_API_KEY": hub.admin_key}
        uploaded = cli(upload_env, tmp_path, "upload", "epic-drums", "1.0.0", str(folder), "--activate")
        assert "ready" in uploaded.stdout

        version = api.get("/api/products/epic-drums/versions/1.0.0").json()["data"]["version"]
        assert version["status"] == "ready" and version["fileCount"] == len(files) and version["size"] == total
        assert {f["path"]: f["sha256"] for f in version["files"]} == {p: sha256(d) for p, d in files.items()}
        product = api.get("/api/products/epic-drums").json()["data"]["product"]
        assert product["activeVersion"]["version"] == "1.0.0"

        token = api.post("/api/products/epic-drums/tokens", json={"customerEmail": "fan@example.com", "maxDownloads": 1})
        assert token.status_code == 201, token.text
        token = token.json()["data"]["token"]
        assert token["downloadUrl"].startswith(f"{hub.url}/download?token=ct_download_")

        with httpx.Client(headers={"User-Agent": BROWSER}, timeout=30) as browser:
            page = browser.get(token["downloadUrl"])
            assert page.status_code == 200
            for path in files:
                assert path in page.text
            assert "ct_dl" in browser.cookies
            listing = browser.get(token["downloadUrl"], headers={"Accept": "application/json"}).json()["data"]
            urls = {f["path"]: f["url"] for f in listing["files"]}
            assert set(urls) == set(files)

            for path, data in files.items():
                if path == "Kicks/Big Kick.wav":
                    got = download_with_a_break(browser, urls[path], len(data))
                else:
                    got = download(browser, urls[path])
                assert sha256(got) == sha256(data), path

        # The browser spent the token's only download; anyone else is refused.
        with httpx.Client(headers={"User-Agent": "curl/8.5.0"}, timeout=30) as stranger:
            refused = stranger.get(urls["README.txt"])
            assert refused.status_code == 403
            assert refused.json()["success"] is False
        tokens = api.get("/api/products/epic-drums/tokens").json()["data"]["tokens"]
        assert [t["usedCount"] for t in tokens] == [1]

        # The interrupted transfer is recorded once the server sees the connection close.
        deadline = time.monotonic() + 5
        while True:
            rows = report_rows(api)
            if len(rows) == 1 and int(rows[0]["bytes_sent"]) >= total or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        [row] = rows
        assert row["token_id"] == token["id"]
        assert (row["product"], row["version"], row["customer_email"]) == ("epic-drums", "1.0.0", "fan@example.com")
        assert row["files"] == str(len(files))
        # Everything once, plus whatever of the broken transfer left the server before it noticed.
        assert total <= int(row["bytes_sent"]) < total + len(files["Kicks/Big Kick.wav"])
        assert row["ip"] == "127.0.0.1"
        assert row["user_agent"] == BROWSER
        assert row["status"] == "completed"

    log = hub.log_text()
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log
    assert token["token"] not in log  # request lines are logged with the token redacted
