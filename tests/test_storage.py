"""Behaviour of both blob backends: local disk and S3 (moto over real HTTP)."""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aioboto3
import httpx
import pytest
from aiobotocore.session import AioSession

from hub.storage import (
    BlobInfo,
    BlobStore,
    LocalBlobStore,
    S3BlobStore,
    S3Config,
    StorageError,
    content_disposition_attachment,
    create_blob_store,
)
from tests.support.s3 import moto_s3_server

MIB = 1 << 20
PART = 5 * MIB  # S3's minimum size for every part but the last


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_s3_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def boto_session() -> aioboto3.Session:
    """One botocore session for all S3 stores, so each test's client starts fast.

    Retries are off: moto answers UploadPart for an unknown upload id with a
    500 (an unhandled KeyError) where S3 says 404 NoSuchUpload, and botocore
    would retry that 500 with backoff for ~12 s before giving up.
    """
    core = AioSession()
    core.set_config_variable("max_attempts", 1)
    return aioboto3.Session(botocore_session=core)


def s3_config(endpoint: str, **overrides) -> S3Config:
    options = dict(
        bucket=f"test-{uuid.uuid4().hex[:16]}",
        endpoint_url=endpoint,
        region="us-east-1",
        access_key_id="testing",
        secret_access_key="testing",
        prefix="hub",
    )
    options.update(overrides)
    return S3Config(**options)


@pytest.fixture(params=["local", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    endpoint = None
    if request.param == "local":
        blob_store: BlobStore = LocalBlobStore(tmp_path / "blobs")
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        session = request.getfixturevalue("boto_session")
        blob_store = S3BlobStore(s3_config(endpoint), session=session)
    await blob_store.start()
    try:
        yield blob_store
    finally:
        await blob_store.close()
        if endpoint is not None:
            # Drop every bucket and object so memory does not pile up across tests.
            async with httpx.AsyncClient() as http:
                (await http.post(f"{endpoint}/moto-api/reset")).raise_for_status()


@pytest.fixture
async def s3_store(
    s3_endpoint: str, boto_session: aioboto3.Session
) -> AsyncIterator[S3BlobStore]:
    blob_store = S3BlobStore(s3_config(s3_endpoint), session=boto_session)
    await blob_store.start()
    try:
        yield blob_store
    finally:
        await blob_store.close()
        async with httpx.AsyncClient() as http:
            (await http.post(f"{s3_endpoint}/moto-api/reset")).raise_for_status()


def payload(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def three_parts() -> list[bytes]:
    return [payload(PART, 1), payload(PART, 2), payload(1234, 3)]


async def upload_in_parts(store: BlobStore, key: str, parts: list[bytes]) -> BlobInfo:
    upload_id = await store.create_multipart(key)
    etags = {}
    for number in reversed(range(1, len(parts) + 1)):  # out of order on purpose
        etags[number] = await store.upload_part(key, upload_id, number, parts[number - 1])
    return await store.complete_multipart(key, upload_id, sorted(etags.items()))


async def read_range(store: BlobStore, key: str, start: int, end: int, chunk: int = MIB) -> bytes:
    chunks = [c async for c in store.open_range(key, start, end, chunk_size=chunk)]
    assert all(len(c) <= chunk for c in chunks)
    return b"".join(chunks)


async def test_multipart_upload_reassembles_parts_in_order(store: BlobStore) -> None:
    parts = three_parts()
    data = b"".join(parts)

    info = await upload_in_parts(store, "orgs/acme/files/big", parts)

    assert info == BlobInfo(key="orgs/acme/files/big", size=len(data))
    assert await store.stat("orgs/acme/files/big") == info
    assert await store.sha256("orgs/acme/files/big") == hashlib.sha256(data).hexdigest()


async def test_open_range_streams_whole_blob_middle_slice_and_last_byte(store: BlobStore) -> None:
    data = b"".join(three_parts())
    await upload_in_parts(store, "orgs/acme/files/big", three_parts())
    key, last = "orgs/acme/files/big", len(data) - 1

    assert await read_range(store, key, 0, last) == data
    middle = (PART - 100, 2 * PART + 99)  # straddles both part boundaries
    assert await read_range(store, key, *middle, chunk=64 * 1024) == data[middle[0] : middle[1] + 1]
    assert await read_range(store, key, last, last) == data[-1:]


async def test_open_range_past_the_end_stops_at_the_last_byte(store: BlobStore) -> None:
    await store.put("orgs/acme/files/small", b"0123456789")

    assert await read_range(store, "orgs/acme/files/small", 5, 1000) == b"56789"


async def test_open_range_starting_past_the_end_raises_storage_error(store: BlobStore) -> None:
    await store.put("orgs/acme/files/small", b"0123456789")

    with pytest.raises(StorageError):
        await read_range(store, "orgs/acme/files/small", 10, 20)


async def test_open_range_can_be_abandoned_midway(store: BlobStore) -> None:
    data = payload(3 * MIB, 5)
    await store.put("orgs/acme/files/mid", data)

    stream = store.open_range("orgs/acme/files/mid", 0, len(data) - 1, chunk_size=64 * 1024)
    first = await anext(stream)
    await stream.aclose()  # what the HTTP layer does when a client disconnects

    assert data.startswith(first)
    assert await store.sha256("orgs/acme/files/mid") == hashlib.sha256(data).hexdigest()


async def test_reuploading_a_part_replaces_it(store: BlobStore) -> None:
    key = "orgs/acme/files/retry"
    upload_id = await store.create_multipart(key)
    first = await store.upload_part(key, upload_id, 1, payload(PART, 10))
    await store.upload_part(key, upload_id, 2, b"tail")
    replacement = payload(PART, 11)
    second = await store.upload_part(key, upload_id, 1, replacement)
    assert first != second

    tail = await store.upload_part(key, upload_id, 2, b"tail")
    info = await store.complete_multipart(key, upload_id, [(1, second), (2, tail)])

    assert info.size == PART + 4
    assert await store.sha256(key) == hashlib.sha256(replacement + b"tail").hexdigest()


async def test_complete_with_a_stale_etag_raises_storage_error(store: BlobStore) -> None:
    key = "orgs/acme/files/stale"
    upload_id = await store.create_multipart(key)
    stale = await store.upload_part(key, upload_id, 1, b"old")
    await store.upload_part(key, upload_id, 1, b"new")

    with pytest.raises(StorageError):
        await store.complete_multipart(key, upload_id, [(1, stale)])
    assert await store.stat(key) is None


async def test_complete_rejects_parts_out_of_order(store: BlobStore) -> None:
    key = "orgs/acme/files/order"
    upload_id = await store.create_multipart(key)
    etag = await store.upload_part(key, upload_id, 1, b"x")

    with pytest.raises(ValueError):
        await store.complete_multipart(key, upload_id, [(2, etag), (1, etag)])
    with pytest.raises(ValueError):
        await store.complete_multipart(key, upload_id, [])


async def test_abort_removes_the_upload_and_later_parts_fail(store: BlobStore) -> None:
    key = "orgs/acme/files/aborted"
    upload_id = await store.create_multipart(key)
    await store.upload_part(key, upload_id, 1, payload(PART, 20))

    await store.abort_multipart(key, upload_id)

    if isinstance(store, LocalBlobStore):
        assert not (store.root / ".multipart" / upload_id).exists()
    else:
        listing = await store._s3.list_multipart_uploads(Bucket=store.config.bucket)
        assert listing.get("Uploads", []) == []
    with pytest.raises(StorageError):
        await store.upload_part(key, upload_id, 2, b"late")
    assert await store.stat(key) is None
    await store.abort_multipart(key, upload_id)  # aborting twice is harmless


async def test_upload_part_to_an_unknown_upload_raises_storage_error(store: BlobStore) -> None:
    with pytest.raises(StorageError):
        await store.upload_part("orgs/acme/files/x", "0" * 32, 1, b"data")
    with pytest.raises(StorageError):
        await store.upload_part("orgs/acme/files/x", "../../etc", 1, b"data")


async def test_local_upload_id_is_bound_to_its_key(tmp_path: Path) -> None:
    # Real S3 enforces this too, but moto accepts a part for any key.
    local = LocalBlobStore(tmp_path / "blobs")
    await local.start()
    upload_id = await local.create_multipart("orgs/acme/files/a")

    with pytest.raises(StorageError):
        await local.upload_part("orgs/acme/files/b", upload_id, 1, b"data")


async def test_put_then_stat_reports_the_size(store: BlobStore) -> None:
    info = await store.put("orgs/acme/covers/c1", b"\x89PNG fake", content_type="image/png")

    assert info == BlobInfo(key="orgs/acme/covers/c1", size=9)
    assert await store.stat("orgs/acme/covers/c1") == info
    assert await read_range(store, "orgs/acme/covers/c1", 0, 8) == b"\x89PNG fake"


async def test_put_overwrites_an_existing_blob(store: BlobStore) -> None:
    await store.put("orgs/acme/covers/c1", b"first version")
    await store.put("orgs/acme/covers/c1", b"second")

    assert (await store.stat("orgs/acme/covers/c1")).size == 6
    assert await store.sha256("orgs/acme/covers/c1") == hashlib.sha256(b"second").hexdigest()


async def test_stat_of_a_missing_key_is_none(store: BlobStore) -> None:
    assert await store.stat("orgs/acme/files/nothing") is None


async def test_reading_a_missing_key_raises_storage_error(store: BlobStore) -> None:
    with pytest.raises(StorageError):
        await store.sha256("orgs/acme/files/nothing")
    with pytest.raises(StorageError):
        await read_range(store, "orgs/acme/files/nothing", 0, 10)


async def test_delete_removes_the_blob_and_tolerates_missing_keys(store: BlobStore) -> None:
    await store.put("orgs/acme/files/gone", b"bye")

    await store.delete("orgs/acme/files/gone")
    await store.delete("orgs/acme/files/gone")

    assert await store.stat("orgs/acme/files/gone") is None


BAD_KEYS = [
    "",
    "/orgs/acme",
    "orgs/../etc/passwd",
    "..",
    "orgs/acme/..",
    "orgs\\acme",
    "orgs/acme\x00x",
    "orgs//acme",
    "orgs/acme/",
    "./orgs",
    ".multipart/abc/00001",
]


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_unsafe_keys_are_rejected_with_value_error(store: BlobStore, key: str) -> None:
    with pytest.raises(ValueError):
        await store.put(key, b"x")
    with pytest.raises(ValueError):
        await store.stat(key)
    with pytest.raises(ValueError):
        await store.create_multipart(key)
    with pytest.raises(ValueError):
        await store.delete(key)
    with pytest.raises(ValueError):
        await read_range(store, key, 0, 1)


async def test_keys_with_dots_inside_segments_are_fine(store: BlobStore) -> None:
    await store.put("orgs/acme/files/v1..2.tar.gz", b"ok")

    assert (await store.stat("orgs/acme/files/v1..2.tar.gz")).size == 2


# -- local only ---------------------------------------------------------------


async def test_local_store_has_no_presigned_urls_but_exposes_file_paths(tmp_path: Path) -> None:
    local = LocalBlobStore(tmp_path / "blobs")
    await local.start()
    await local.put("orgs/acme/files/f", b"abc")
    upload_id = await local.create_multipart("orgs/acme/files/g")

    assert await local.presign_get("orgs/acme/files/f", 60, filename="f.zip") is None
    assert await local.presign_upload_part("orgs/acme/files/g", upload_id, 1, 60) is None
    path = local.local_path("orgs/acme/files/f")
    assert path == str(tmp_path / "blobs" / "orgs/acme/files/f")
    assert Path(path).read_bytes() == b"abc"


async def test_local_multipart_leaves_no_parts_or_temp_files_behind(tmp_path: Path) -> None:
    local = LocalBlobStore(tmp_path / "blobs")
    await local.start()

    await upload_in_parts(local, "orgs/acme/files/f", [b"a" * 10, b"b" * 5])

    assert list((local.root / ".multipart").iterdir()) == []
    assert list((local.root / ".tmp").iterdir()) == []
    assert Path(local.local_path("orgs/acme/files/f")).read_bytes() == b"a" * 10 + b"b" * 5


# -- S3 only ------------------------------------------------------------------


async def test_s3_presigned_part_urls_accept_direct_uploads(s3_store: S3BlobStore) -> None:
    key = "orgs/acme/files/direct"
    parts = three_parts()
    upload_id = await s3_store.create_multipart(key)
    etags = []
    async with httpx.AsyncClient() as http:
        for number, body in enumerate(parts, start=1):
            url = await s3_store.presign_upload_part(key, upload_id, number, expires_in=300)
            assert url is not None and "X-Amz-Signature=" in url  # SigV4, not legacy V2
            resp = await http.put(url, content=body)
            assert resp.status_code == 200, resp.text
            etags.append((number, resp.headers["ETag"]))

    info = await s3_store.complete_multipart(key, upload_id, etags)

    data = b"".join(parts)
    assert info.size == len(data)
    assert await s3_store.sha256(key) == hashlib.sha256(data).hexdigest()


async def test_s3_presigned_get_returns_bytes_and_content_disposition(
    s3_store: S3BlobStore,
) -> None:
    await s3_store.put("orgs/acme/files/book", b"the whole book")
    filename = "Überbuch «final».pdf"

    url = await s3_store.presign_get("orgs/acme/files/book", 300, filename=filename)
    assert url is not None and "X-Amz-Signature=" in url
    async with httpx.AsyncClient() as http:
        resp = await http.get(url)

    assert resp.status_code == 200
    assert resp.content == b"the whole book"
    assert resp.headers["Content-Disposition"] == content_disposition_attachment(filename)
    assert "filename*=UTF-8''%C3%9Cberbuch%20%C2%ABfinal%C2%BB.pdf" in resp.headers[
        "Content-Disposition"
    ]


async def test_s3_presigned_get_honours_a_range_header(s3_store: S3BlobStore) -> None:
    await s3_store.put("orgs/acme/files/book", b"0123456789")

    url = await s3_store.presign_get("orgs/acme/files/book", 300)
    async with httpx.AsyncClient() as http:
        resp = await http.get(url, headers={"Range": "bytes=2-5"})

    assert resp.status_code == 206
    assert resp.content == b"2345"
    assert resp.headers["Content-Range"] == "bytes 2-5/10"


async def test_s3_keys_live_under_the_configured_prefix(s3_store: S3BlobStore) -> None:
    await s3_store.put("orgs/acme/files/f", b"x")

    listing = await s3_store._s3.list_objects_v2(Bucket=s3_store.config.bucket)

    assert [o["Key"] for o in listing["Contents"]] == ["hub/orgs/acme/files/f"]
    assert s3_store.local_path("orgs/acme/files/f") is None


async def test_s3_start_reuses_an_existing_bucket(s3_store: S3BlobStore, s3_endpoint: str) -> None:
    await s3_store.put("orgs/acme/files/f", b"kept")
    again = S3BlobStore(s3_config(s3_endpoint, bucket=s3_store.config.bucket))  # own session

    await again.start()
    try:
        assert (await again.stat("orgs/acme/files/f")).size == 4
    finally:
        await again.close()


async def test_s3_store_used_before_start_raises_storage_error(s3_endpoint: str) -> None:
    with pytest.raises(StorageError):
        await S3BlobStore(s3_config(s3_endpoint)).stat("orgs/acme/files/f")


# -- helpers and factory --------------------------------------------------------


def test_content_disposition_has_ascii_fallback_and_utf8_filename() -> None:
    header = content_disposition_attachment('a "b"\\é.txt')

    assert header == "attachment; filename=\"a _b___.txt\"; filename*=UTF-8''a%20%22b%22%5C%C3%A9.txt"


def test_create_blob_store_builds_the_requested_backend(tmp_path: Path) -> None:
    local = create_blob_store("local", data_dir=tmp_path, s3=None)
    assert isinstance(local, LocalBlobStore) and local.kind == "local"
    assert local.root == tmp_path / "blobs"

    s3 = create_blob_store("s3", data_dir=tmp_path, s3=S3Config(bucket="b"))
    assert isinstance(s3, S3BlobStore) and s3.kind == "s3"

    with pytest.raises(ValueError):
        create_blob_store("s3", data_dir=tmp_path, s3=None)
    with pytest.raises(ValueError):
        create_blob_store("ftp", data_dir=tmp_path, s3=None)


def test_s3_config_repr_hides_the_secret() -> None:
    assert "hunter2" not in repr(S3Config(bucket="b", secret_access_key="hunter2"))
