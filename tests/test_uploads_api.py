"""Versions and multipart uploads: manifest rules, parts, verification,
readiness, immutability, on local storage and on S3 (moto over HTTP)."""

from __future__ import annotations

import hashlib
import os

import httpx
import pytest

from tests.conftest import fails, ok

PART = 5 * 1024 * 1024  # the part size the test settings use


@pytest.fixture(params=["local", "s3"])
def storage(request) -> str:
    return request.param


def manifest_entry(path: str, data: bytes) -> dict:
    return {"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


async def new_version(client, org, files: dict[str, bytes], version: str = "1.0.0") -> dict:
    ok(await client.post("/api/products", json={"name": "Kit", "slug": "kit"}, headers=org.member), 201)
    body = {"version": version, "changelog": "first", "files": [manifest_entry(p, d) for p, d in files.items()]}
    return ok(await client.post("/api/products/kit/versions", json=body, headers=org.member), 201)["version"]


async def start(client, org, path: str, version: str = "1.0.0", **extra) -> dict:
    response = await client.post(
        f"/api/products/kit/versions/{version}/uploads", json={"path": path, **extra}, headers=org.member
    )
    return ok(response, 201)["upload"]


async def put_part(client, org, upload_id: str, number: int, data: bytes) -> httpx.Response:
    return await client.put(
        f"/api/uploads/{upload_id}/parts/{number}",
        content=data,
        headers={**org.member, "Content-Type": "application/octet-stream"},
    )


async def upload_whole(client, org, path: str, data: bytes) -> dict:
    upload = await start(client, org, path)
    for part in upload["parts"]:
        offset = (part["partNumber"] - 1) * upload["partSize"]
        ok(await put_part(client, org, upload["id"], part["partNumber"], data[offset : offset + part["size"]]))
    return ok(await client.post(f"/api/uploads/{upload['id']}/complete", headers=org.member))


async def test_new_version_is_pending_with_its_manifest(client, org):
    version = await new_version(client, org, {"samples/kick_01.wav": b"kick", "readme.txt": b"hi"})
    assert version["status"] == "pending"
    assert version["version"] == "1.0.0"
    assert version["fileCount"] == 2
    assert version["size"] == 6
    assert [f["path"] for f in version["files"]] == ["readme.txt", "samples/kick_01.wav"]
    assert {f["status"] for f in version["files"]} == {"pending"}


@pytest.mark.parametrize(
    "path",
    ["../etc/passwd", "samples/../../x", "/abs/file", "C:/win", "back\\slash", "nul\x00byte", "", "./", "a/../../b"],
)
async def test_manifest_paths_cannot_escape_the_version(client, org, path):
    ok(await client.post("/api/products", json={"name": "Kit", "slug": "kit"}, headers=org.member), 201)
    body = {"version": "1.0.0", "files": [{"path": path, "size": 1, "sha256": "a" * 64}]}
    error = fails(await client.post("/api/products/kit/versions", json=body, headers=org.member), 422)
    assert "files[0].path" in error
    assert ok(await client.get("/api/products/kit/versions", headers=org.viewer))["versions"] == []


async def test_manifest_paths_are_normalized_and_unique(client, org):
    ok(await client.post("/api/products", json={"name": "Kit", "slug": "kit"}, headers=org.member), 201)
    files = [
        {"path": "a//b/./c.wav", "size": 1, "sha256": "a" * 64},
        {"path": "a/b/c.wav", "size": 1, "sha256": "b" * 64},
    ]
    fails(
        await client.post("/api/products/kit/versions", json={"version": "1.0.0", "files": files}, headers=org.member),
        422,
        "appears twice",
    )
    one = ok(
        await client.post(
            "/api/products/kit/versions", json={"version": "1.0.0", "files": files[:1]}, headers=org.member
        ),
        201,
    )
    assert one["version"]["files"][0]["path"] == "a/b/c.wav"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"version": "one"}, "version"),
        ({"files": []}, "files"),
        ({"files": [{"path": "a", "size": -1, "sha256": "a" * 64}]}, "size"),
        ({"files": [{"path": "a", "size": 1, "sha256": "xyz"}]}, "sha256"),
        ({"files": [{"path": "a", "size": 1}]}, "sha256"),
    ],
)
async def test_invalid_version_is_refused_naming_the_field(client, org, change, field):
    ok(await client.post("/api/products", json={"name": "Kit", "slug": "kit"}, headers=org.member), 201)
    body = {"version": "1.0.0", "files": [{"path": "a", "size": 1, "sha256": "a" * 64}], **change}
    assert field in fails(await client.post("/api/products/kit/versions", json=body, headers=org.member), 422)


async def test_duplicate_version_is_a_conflict(client, org):
    await new_version(client, org, {"a": b"a"})
    body = {"version": "1.0.0", "files": [manifest_entry("a", b"a")]}
    fails(await client.post("/api/products/kit/versions", json=body, headers=org.member), 409, "1.0.0")


async def test_multipart_upload_makes_the_version_ready_and_active(client, org):
    big = os.urandom(PART * 2 + 1234)
    small = b"read me\n"
    await new_version(client, org, {"samples/big.wav": big, "readme.txt": small})

    upload = await start(client, org, "samples/big.wav")
    assert upload["partCount"] == 3
    assert [p["size"] for p in upload["parts"]] == [PART, PART, 1234]
    # Parts may arrive in any order.
    for number in (3, 1, 2):
        offset = (number - 1) * PART
        part = ok(await put_part(client, org, upload["id"], number, big[offset : offset + upload["parts"][number - 1]["size"]]))
        assert part["part"]["partNumber"] == number
    done = ok(await client.post(f"/api/uploads/{upload['id']}/complete", headers=org.member))
    assert done["file"]["status"] == "ready"
    assert done["version"]["status"] == "uploading"

    last = await upload_whole(client, org, "readme.txt", small)
    assert last["version"]["status"] == "ready"
    assert last["version"]["size"] == len(big) + len(small)
    assert last["version"]["fileCount"] == 2

    product = ok(await client.get("/api/products/kit", headers=org.viewer))["product"]
    assert product["activeVersion"] == {
        "id": last["version"]["id"],
        "version": "1.0.0",
        "size": len(big) + len(small),
        "fileCount": 2,
        "status": "ready",
    }


async def test_wrong_bytes_are_rejected_and_the_file_can_be_uploaded_again(client, org):
    data = b"the real contents"
    await new_version(client, org, {"a.txt": data})
    upload = await start(client, org, "a.txt")
    ok(await put_part(client, org, upload["id"], 1, b"the fake contents"))
    fails(await client.post(f"/api/uploads/{upload['id']}/complete", headers=org.member), 422, "sha256 mismatch")
    version = ok(await client.get("/api/products/kit/versions/1.0.0", headers=org.viewer))["version"]
    assert version["status"] != "ready"
    assert version["files"][0]["status"] == "pending"

    retried = await upload_whole(client, org, "a.txt", data)
    assert retried["version"]["status"] == "ready"


async def test_a_part_of_the_wrong_size_is_refused(client, org):
    await new_version(client, org, {"a.txt": b"12345"})
    upload = await start(client, org, "a.txt")
    fails(await put_part(client, org, upload["id"], 1, b"1234"), 422, "exactly 5 bytes")
    fails(await put_part(client, org, upload["id"], 2, b"12345"), 422, "partNumber")
    fails(await client.post(f"/api/uploads/{upload['id']}/complete", headers=org.member), 422, "missing")


async def test_initiating_again_resumes_with_the_parts_received(client, org):
    data = os.urandom(PART + 10)
    await new_version(client, org, {"a.bin": data})
    first = await start(client, org, "a.bin")
    ok(await put_part(client, org, first["id"], 1, data[:PART]))
    again = await start(client, org, "a.bin")
    assert again["id"] == first["id"]
    assert [p["received"] for p in again["parts"]] == [True, False]
    ok(await put_part(client, org, again["id"], 2, data[PART:]))
    assert ok(await client.post(f"/api/uploads/{again['id']}/complete", headers=org.member))["file"]["status"] == "ready"


async def test_aborted_upload_is_gone_and_can_restart(client, org):
    await new_version(client, org, {"a.txt": b"abc"})
    upload = await start(client, org, "a.txt")
    ok(await client.delete(f"/api/uploads/{upload['id']}", headers=org.member))
    fails(await put_part(client, org, upload["id"], 1, b"abc"), 404)
    assert (await upload_whole(client, org, "a.txt", b"abc"))["version"]["status"] == "ready"


async def test_a_ready_version_is_immutable(client, org):
    await new_version(client, org, {"a.txt": b"abc"})
    await upload_whole(client, org, "a.txt", b"abc")
    fails(
        await client.post("/api/products/kit/versions/1.0.0/uploads", json={"path": "a.txt"}, headers=org.member),
        409,
        "ready",
    )


async def test_uploads_of_another_organization_are_not_found(client, org, other_org):
    await new_version(client, org, {"a.txt": b"abc"})
    upload = await start(client, org, "a.txt")
    fails(await put_part(client, other_org, upload["id"], 1, b"abc"), 404)
    fails(await client.post(f"/api/uploads/{upload['id']}/complete", headers=other_org.member), 404)
    fails(await client.get(f"/api/uploads/{upload['id']}", headers=other_org.member), 404)


async def test_unknown_manifest_path_is_404(client, org):
    await new_version(client, org, {"a.txt": b"abc"})
    fails(
        await client.post("/api/products/kit/versions/1.0.0/uploads", json={"path": "b.txt"}, headers=org.member),
        404,
        "b.txt",
    )


async def test_presigned_part_urls_upload_straight_to_s3(client, org, storage):
    if storage != "s3":
        pytest.skip("presigned part URLs exist only on S3 storage")
    data = os.urandom(PART + 99)
    await new_version(client, org, {"direct.bin": data})
    upload = await start(client, org, "direct.bin", presign=True)
    parts = []
    async with httpx.AsyncClient() as s3:
        for part in upload["parts"]:
            assert "X-Amz-Signature" in part["url"]
            offset = (part["partNumber"] - 1) * upload["partSize"]
            put = await s3.put(part["url"], content=data[offset : offset + part["size"]])
            assert put.status_code == 200, put.text
            parts.append({"partNumber": part["partNumber"], "etag": put.headers["etag"]})
    done = ok(await client.post(f"/api/uploads/{upload['id']}/complete", json={"parts": parts}, headers=org.member))
    assert done["version"]["status"] == "ready"
