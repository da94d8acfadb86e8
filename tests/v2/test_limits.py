"""The size limit of a Product Download (``HUB_V2_MAX_FILE_BYTES``): files
over it are refused with 413 and nothing stored; bodies that cannot fit are
refused before they are read, with or without a Content-Length."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator

import pytest

from hub.services.media import DEFAULT_MAX_FILE_BYTES, max_file_bytes, request_body_limit
from hub.settings import Settings, SettingsError
from hub.tables import MediaFile
from tests.v2.conftest import add_download, created, data_uri, media_blobs, refused, url

LIMIT = 1000


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, v2_max_file_bytes=LIMIT)


async def assert_nothing_stored(app, org) -> None:
    assert await MediaFile.count() == 0
    assert media_blobs(app, org.id) == []


@pytest.mark.parametrize("size", [LIMIT - 2, LIMIT - 1, LIMIT])  # every base64 padding
async def test_a_file_up_to_the_limit_is_accepted(client, org, product, size):
    assert created(await add_download(client, org, data_uri(b"x" * size, "text/plain")))["file"]["size"] == size


@pytest.mark.parametrize("size", [LIMIT + 1, LIMIT + 2, LIMIT + 3, 50 * LIMIT])
async def test_a_file_over_the_limit_is_413(client, app, org, product, size):
    error = refused(await add_download(client, org, data_uri(b"x" * size, "text/plain")), 413)
    assert error["ref"] == "error.too-large" and error["name"] == "file"
    await assert_nothing_stored(app, org)


async def test_an_object_src_over_the_limit_is_413(client, app, org, product):
    file = {"src": data_uri(b"x" * (LIMIT + 3), "text/plain"), "filename": "big.txt"}
    refused(await add_download(client, org, file), 413, name="file.src", ref="error.too-large")
    await assert_nothing_stored(app, org)


async def test_a_body_announced_too_large_is_refused_unread(client, app, org, product):
    sent: list[bytes] = []

    async def body() -> AsyncIterator[bytes]:
        for _ in range(100):
            chunk = b" " * 1024
            sent.append(chunk)
            yield chunk

    limit = request_body_limit(LIMIT)
    headers = {**org.member, "Content-Type": "application/json", "Content-Length": str(limit + 1)}
    refused(await client.post(url(), content=body(), headers=headers), 413, ref="error.too-large")
    assert sent == []  # not one chunk was asked for
    await assert_nothing_stored(app, org)


async def test_a_streamed_body_without_length_is_cut_off_at_the_limit(client, app, org, product):
    sent: list[bytes] = []

    async def body() -> AsyncIterator[bytes]:
        yield b'{"data": {"file": "data:text/plain;base64,'
        for _ in range(10_000):  # 10 MB if it were all read
            chunk = b"eHh4" * 256
            sent.append(chunk)
            yield chunk
        yield b'"}}'

    headers = {**org.member, "Content-Type": "application/json"}
    refused(await client.post(url(), content=body(), headers=headers), 413, ref="error.too-large")
    assert len(sent) * 1024 <= request_body_limit(LIMIT) + 2048
    await assert_nothing_stored(app, org)


async def test_a_streamed_body_within_the_limit_is_accepted(client, org, product):
    payload = json.dumps({"data": {"file": data_uri(b"streamed", "text/plain")}}).encode()

    async def body() -> AsyncIterator[bytes]:
        for i in range(0, len(payload), 7):
            yield payload[i : i + 7]

    response = await client.post(url(), content=body(), headers={**org.member, "Content-Type": "application/json"})
    assert created(response)["file"]["size"] == len(b"streamed")


def test_the_limit_defaults_to_25_mib_and_is_checked_at_start_up():
    assert max_file_bytes(Settings()) == DEFAULT_MAX_FILE_BYTES == 25 * 1024 * 1024
    assert max_file_bytes(Settings.from_env({"HUB_V2_MAX_FILE_BYTES": "2048"}, env_file=None)) == 2048
    for bad in ("lots", "0", "-5"):
        with pytest.raises(SettingsError, match="HUB_V2_MAX_FILE_BYTES"):
            Settings.from_env({"HUB_V2_MAX_FILE_BYTES": bad}, env_file=None)


def test_the_body_limit_fits_the_largest_file_with_escaped_slashes():
    largest = data_uri(b"\x00" * DEFAULT_MAX_FILE_BYTES, "application/octet-stream")
    body = json.dumps({"data": {"file": {"src": largest, "filename": "x" * 255, "directory": "~/content/" + "y" * 490}}})
    assert len(body) <= request_body_limit(DEFAULT_MAX_FILE_BYTES)
    # PHP's json_encode writes "/" as "\\/": about one base64 character in 64.
    average = data_uri(bytes(range(256)) * (DEFAULT_MAX_FILE_BYTES // 256))
    assert len(json.dumps({"data": {"file": average}}).replace("/", "\\/")) <= request_body_limit(DEFAULT_MAX_FILE_BYTES)
