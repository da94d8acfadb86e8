"""Uploads raced against themselves: the README promises that parts may be
sent in parallel and sent again. The same part sent ten times at once, two
completions at once, parts and completions racing an abort, and two files
of one version completing at once each answer success or a clear 4xx, never
a 5xx, and leave a correct file, on local storage and on S3 (moto over
HTTP), SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import os

import pytest

from hub.tables import UploadPart
from tests.conftest import ok
from tests.test_uploads_api import PART, new_version, put_part, start

#: What a race may answer: success, or "that upload is no longer in progress".
SETTLED = {200, 409}


@pytest.fixture(params=["local", "s3"])
def storage(request) -> str:
    return request.param


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chunk(data: bytes, part: dict, part_size: int) -> bytes:
    offset = (part["partNumber"] - 1) * part_size
    return data[offset : offset + part["size"]]


async def send_every_part(client, org, upload: dict, data: bytes) -> None:
    for part in upload["parts"]:
        ok(await put_part(client, org, upload["id"], part["partNumber"], chunk(data, part, upload["partSize"])))


async def stored_digest(app, version: dict, path: str) -> str:
    [file] = [f for f in version["files"] if f["path"] == path]
    return await app.state.hub.blobs.sha256(file_key(app, file))


def file_key(app, file: dict) -> str:
    return f"orgs/audio-company/files/{file['id']}"


async def get_version(client, org) -> dict:
    return ok(await client.get("/api/products/kit/versions/1.0.0", headers=org.viewer))["version"]


def no_server_errors(responses) -> list[int]:
    statuses = [r.status_code for r in responses]
    assert all(s < 500 for s in statuses), [(r.status_code, r.text) for r in responses]
    return statuses


async def test_the_same_part_sent_ten_times_at_once_is_stored_once(app, client, org):
    data = os.urandom(PART + 1000)
    await new_version(client, org, {"kit.zip": data})
    upload = await start(client, org, "kit.zip")
    first = chunk(data, upload["parts"][0], upload["partSize"])

    answers = await asyncio.gather(*(put_part(client, org, upload["id"], 1, first) for _ in range(10)))

    assert no_server_errors(answers) == [200] * 10
    assert await UploadPart.count().where(UploadPart.upload_id == upload["id"], UploadPart.part_number == 1) == 1
    ok(await put_part(client, org, upload["id"], 2, chunk(data, upload["parts"][1], upload["partSize"])))
    done = ok(await client.post(f"/api/uploads/{upload['id']}/complete", headers=org.member))
    assert done["version"]["status"] == "ready"
    assert await stored_digest(app, await get_version(client, org), "kit.zip") == sha256(data)


async def test_complete_called_twice_at_once_finishes_once(app, client, org):
    data = os.urandom(2 * PART + 77)
    await new_version(client, org, {"kit.zip": data})
    upload = await start(client, org, "kit.zip")
    await send_every_part(client, org, upload, data)

    answers = await asyncio.gather(
        *(client.post(f"/api/uploads/{upload['id']}/complete", headers=org.member) for _ in range(2))
    )

    assert set(no_server_errors(answers)) <= SETTLED and 200 in {a.status_code for a in answers}
    version = await get_version(client, org)
    assert version["status"] == "ready"
    assert await stored_digest(app, version, "kit.zip") == sha256(data)
    # And a third time, later: the same answer (a client whose answer was lost).
    again = ok(await client.post(f"/api/uploads/{upload['id']}/complete", headers=org.member))
    assert again["file"]["status"] == "ready" and again["version"]["status"] == "ready"


async def test_parts_racing_an_abort_never_fail_the_server_and_the_file_can_be_sent_again(app, client, org):
    data = os.urandom(2 * PART + 5)
    await new_version(client, org, {"kit.zip": data})
    for _round in range(3):
        upload = await start(client, org, "kit.zip")
        parts = upload["parts"]
        answers = await asyncio.gather(
            *(put_part(client, org, upload["id"], p["partNumber"], chunk(data, p, upload["partSize"])) for p in parts),
            client.delete(f"/api/uploads/{upload['id']}", headers=org.member),
        )
        statuses = no_server_errors(answers)
        assert set(statuses) <= SETTLED | {404}, statuses
        assert statuses[-1] == 200  # the abort itself
        # Nothing is left behind for the aborted upload.
        assert await UploadPart.count().where(UploadPart.upload_id == upload["id"]) == 0

    upload = await start(client, org, "kit.zip")
    assert not any(p["received"] for p in upload["parts"])
    await send_every_part(client, org, upload, data)
    ok(await client.post(f"/api/uploads/{upload['id']}/complete", headers=org.member))
    version = await get_version(client, org)
    assert version["status"] == "ready"
    assert await stored_digest(app, version, "kit.zip") == sha256(data)


async def test_complete_racing_an_abort_leaves_a_file_that_is_either_ready_or_uploadable_again(app, client, org):
    data = os.urandom(PART + 1)
    await new_version(client, org, {"kit.zip": data})
    upload = await start(client, org, "kit.zip")
    await send_every_part(client, org, upload, data)

    completed, aborted = await asyncio.gather(
        client.post(f"/api/uploads/{upload['id']}/complete", headers=org.member),
        client.delete(f"/api/uploads/{upload['id']}", headers=org.member),
    )

    assert {completed.status_code, aborted.status_code} <= SETTLED | {404}, (completed.text, aborted.text)
    version = await get_version(client, org)
    if version["status"] != "ready":  # the abort won: the file uploads afresh
        assert aborted.status_code == 200 and completed.status_code != 200
        upload = await start(client, org, "kit.zip")
        await send_every_part(client, org, upload, data)
        ok(await client.post(f"/api/uploads/{upload['id']}/complete", headers=org.member))
        version = await get_version(client, org)
    else:
        assert completed.status_code == 200 and aborted.status_code == 409
    assert version["status"] == "ready"
    assert await stored_digest(app, version, "kit.zip") == sha256(data)


async def test_an_abort_after_completion_is_refused_and_keeps_the_file(app, client, org):
    data = os.urandom(100)
    await new_version(client, org, {"a.txt": data})
    upload = await start(client, org, "a.txt")
    await send_every_part(client, org, upload, data)
    ok(await client.post(f"/api/uploads/{upload['id']}/complete", headers=org.member))

    refused = await client.delete(f"/api/uploads/{upload['id']}", headers=org.member)
    assert refused.status_code == 409, refused.text
    late_part = await put_part(client, org, upload["id"], 1, data)
    assert late_part.status_code == 409, late_part.text
    version = await get_version(client, org)
    assert version["status"] == "ready" and version["files"][0]["status"] == "ready"
    assert await stored_digest(app, version, "a.txt") == sha256(data)


async def test_the_last_files_of_a_version_completing_at_once_make_it_ready(app, client, org):
    files = {f"file-{n}.bin": os.urandom(1000 + n) for n in range(4)}
    await new_version(client, org, files)
    uploads = {}
    for path, data in files.items():
        uploads[path] = await start(client, org, path)
        await send_every_part(client, org, uploads[path], data)

    answers = await asyncio.gather(
        *(client.post(f"/api/uploads/{u['id']}/complete", headers=org.member) for u in uploads.values())
    )

    assert no_server_errors(answers) == [200] * len(files)
    assert (await get_version(client, org))["status"] == "ready"
    product = ok(await client.get("/api/products/kit", headers=org.viewer))["product"]
    assert product["activeVersion"]["version"] == "1.0.0"


async def test_parts_lost_by_storage_are_named_and_can_be_sent_again(app, client, org):
    """Storage dropped the multipart upload (a bucket lifecycle rule, an
    operator): completing says which parts to send again, and then works."""
    data = os.urandom(PART + 10)
    version = await new_version(client, org, {"kit.zip": data})
    upload = await start(client, org, "kit.zip")
    await send_every_part(client, org, upload, data)
    hub = app.state.hub
    [file] = version["files"]
    from hub.tables import VersionFile

    row = await VersionFile.select().where(VersionFile.id == file["id"]).first()
    await hub.blobs.abort_multipart(row["storage_key"], row["storage_upload_id"])

    lost = await client.post(f"/api/uploads/{upload['id']}/complete", headers=org.member)
    assert lost.status_code == 409, lost.text
    assert "send parts 1, 2 again" in lost.json()["error"]
    again = ok(await client.get(f"/api/uploads/{upload['id']}", headers=org.member))["upload"]
    assert [p["received"] for p in again["parts"]] == [False, False]
    await send_every_part(client, org, again, data)
    ok(await client.post(f"/api/uploads/{upload['id']}/complete", headers=org.member))
    assert await stored_digest(app, await get_version(client, org), "kit.zip") == sha256(data)
