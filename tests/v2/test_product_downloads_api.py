"""``POST /api/v2/products/{productId}/downloads.json`` as the seed's client
drives it: bare data URIs and Content URI request objects, the 201 and 422
envelopes, names and folders, authorization, and tenants kept apart. On
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from hub.secrets import hash_secret
from hub.services.accounts import create_api_key
from hub.tables import ApiKey, MediaFile
from tests.conftest import ok
from tests.v2.conftest import PNG, PRODUCT, add_download, created, data_uri, md5, media_blobs, refused, url

# --- what gets stored, and under which name -----------------------------------------


async def test_bare_data_uri_is_named_by_md5_and_filed_by_mime_type(client, app, org, product):
    download = created(await add_download(client, org, data_uri(PNG)))
    assert download["file"]["filename"] == md5(PNG) + ".png"
    assert download["file"]["directory"] == "~/content/images"
    assert download["file"]["mimeType"] == "image/png"
    assert download["file"]["size"] == len(PNG)
    assert download["file"]["md5"] == md5(PNG)

    row = await MediaFile.select().where(MediaFile.id == download["id"]).first()
    assert row["org"] == org.id and row["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert row["storage_key"].startswith(f"orgs/{org.id}/media/")
    assert await app.state.hub.blobs.sha256(row["storage_key"]) == row["sha256"]
    assert len(media_blobs(app, org.id)) == 1


async def test_created_download_has_the_seed_envelope(client, org, product):
    response = await add_download(client, org, data_uri(b"%PDF-1.7 liner notes", "application/pdf"))
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"success", "status", "data"}
    assert body["success"] is True and body["status"] == 201
    data = body["data"]
    assert set(data) == {"id", "productId", "file", "createdAt"}
    assert set(data["file"]) == {"filename", "directory", "mimeType", "size", "md5", "sha256"}
    assert data["id"].startswith("media_")
    assert data["productId"] == PRODUCT
    assert data["createdAt"].endswith("Z")


@pytest.mark.parametrize(
    ("mime_type", "extension", "directory"),
    [
        ("image/jpeg", ".jpg", "~/content/images"),
        ("audio/mpeg", ".mp3", "~/content/audio"),
        ("audio/x-wav", ".wav", "~/content/audio"),
        ("audio/flac", ".flac", "~/content/audio"),
        ("video/mp4", ".mp4", "~/content/video"),
        ("application/pdf", ".pdf", "~/content/documents"),
        ("text/plain", ".txt", "~/content/documents"),
        ("application/zip", ".zip", "~/content/files"),
        ("application/x-unheard-of", ".bin", "~/content/files"),
    ],
)
async def test_mime_type_chooses_extension_and_folder(client, org, product, mime_type, extension, directory):
    data = f"contents of a {mime_type} file".encode()
    file = created(await add_download(client, org, data_uri(data, mime_type)))["file"]
    assert (file["filename"], file["directory"]) == (md5(data) + extension, directory)


async def test_content_uri_object_keeps_the_chosen_name_and_folder(client, org, product):
    file = {"src": data_uri(PNG), "filename": "my-image-name.png", "directory": "~/content/images/products"}
    download = created(await add_download(client, org, file))
    assert download["file"]["filename"] == "my-image-name.png"
    assert download["file"]["directory"] == "~/content/images/products"


async def test_the_seeds_typographic_tilde_means_the_content_root(client, org, product):
    # The seed's own example writes "˜/content" (U+02DC SMALL TILDE).
    file = {"src": data_uri(PNG), "filename": "cover.png", "directory": "\u02dc/content/images/products"}
    assert created(await add_download(client, org, file))["file"]["directory"] == "~/content/images/products"
    # ...and it is the same folder as "~/content/images/products".
    again = {"src": data_uri(PNG), "filename": "cover.png", "directory": "~/content/images/products"}
    refused(await add_download(client, org, again), 422, name="file.filename", ref="error.not-unique")


async def test_directory_is_normalized(client, org, product):
    file = {"src": data_uri(PNG), "filename": "a.png", "directory": "~/content//images/./covers/"}
    assert created(await add_download(client, org, file))["file"]["directory"] == "~/content/images/covers"
    root = {"src": data_uri(PNG), "filename": "a.png", "directory": "~/content/"}
    assert created(await add_download(client, org, root))["file"]["directory"] == "~/content"


async def test_only_a_filename_goes_to_the_mime_types_folder(client, org, product):
    file = created(await add_download(client, org, {"src": data_uri(PNG), "filename": "cover.png"}))["file"]
    assert (file["filename"], file["directory"]) == ("cover.png", "~/content/images")
    file = created(await add_download(client, org, {"src": data_uri(PNG), "directory": "~/content/art"}))["file"]
    assert (file["filename"], file["directory"]) == (md5(PNG) + ".png", "~/content/art")


# --- refusals: 422, and nothing stored -----------------------------------------------


@pytest.mark.parametrize(
    ("body", "name", "ref"),
    [
        ({}, "data", "error.required"),
        ({"data": None}, "data", "error.required"),
        ({"data": "x"}, "data", "error.invalid"),
        ({"data": {}}, "file", "error.required"),
        ({"data": {"file": None}}, "file", "error.required"),
        ({"data": {"file": 42}}, "file", "error.invalid"),
        ({"data": {"file": {"filename": "a.png"}}}, "file.src", "error.required"),
        ({"data": {"file": "data:image/png;base64,iVBORw0K!!not-base64"}}, "file", "error.invalid"),
        ({"data": {"file": "data:image/png;base64,iVBORw0KGgo"}}, "file", "error.invalid"),  # bad padding
        ({"data": {"file": "data:image/png,plain-text-not-base64"}}, "file", "error.invalid"),
        ({"data": {"file": "data:image;base64,iVBORw0KGgo="}}, "file", "error.invalid"),  # no subtype
        ({"data": {"file": "data:im age/png;base64,iVBORw0KGgo="}}, "file", "error.invalid"),
        ({"data": {"file": "data:text/" + "x" * 195 + ";base64,aGk="}}, "file", "error.invalid"),  # > column
        ({"data": {"file": "https://example.com/cover.png"}}, "file", "error.invalid"),
        ({"data": {"file": "data:image/png;base64,"}}, "file", "error.invalid"),  # empty file
        ({"data": {"file": {"src": "data:image/png;base64,@@@@"}}}, "file.src", "error.invalid"),
    ],
)
async def test_invalid_data_is_refused_with_422_and_stores_nothing(client, app, org, product, body, name, ref):
    response = await client.post(url(), json=body, headers=org.member)
    refused(response, 422, name=name, ref=ref)
    assert await MediaFile.count() == 0
    assert media_blobs(app, org.id) == []


@pytest.mark.parametrize(
    "directory",
    [
        "~/content/../../etc",
        "~/content/images/../../secrets",
        "~/content/images/..",
        "~/content/images/../audio",  # stays inside, but ".." is refused, not resolved
        "~/content/...",
        "~/content\\..\\..\\etc",
        "~/content/images\x00.png",
        "~/content/images\nx",
        "/etc/passwd",
        "/~/content/images",
        "content/images",
        "~/contents/images",
        "~/Content/images",
        "~//content/images",
        "~",
        "images/products",
        "C:\\content",
        "~/content/" + "x" * 600,
        ["~/content"],
    ],
)
async def test_directory_outside_the_content_root_is_refused(client, app, org, product, directory):
    file = {"src": data_uri(PNG), "filename": "cover.png", "directory": directory}
    refused(await add_download(client, org, file), 422, name="file.directory", ref="error.invalid")
    assert await MediaFile.count() == 0
    assert media_blobs(app, org.id) == []


@pytest.mark.parametrize(
    "filename",
    ["images/cover.png", "..", ".", "a\\b.png", "nul\x00.png", "tab\t.png", " cover.png", "x" * 256, "é" * 128, 7],
)
async def test_filename_must_be_a_plain_file_name(client, app, org, product, filename):
    file = {"src": data_uri(PNG), "filename": filename}
    refused(await add_download(client, org, file), 422, name="file.filename", ref="error.invalid")
    assert await MediaFile.count() == 0
    assert media_blobs(app, org.id) == []


async def test_same_name_in_the_same_folder_is_not_unique(client, app, org, product):
    file = {"src": data_uri(PNG), "filename": "cover.png", "directory": "~/content/images/products"}
    created(await add_download(client, org, file))
    other = {"src": data_uri(b"other bytes"), "filename": "cover.png", "directory": "~/content/images/products"}
    error = refused(await add_download(client, org, other), 422, name="file.filename", ref="error.not-unique")
    assert "cover.png" in error["message"]
    # The same bare data URI twice is the same md5 name in the same folder.
    created(await add_download(client, org, data_uri(PNG)))
    refused(await add_download(client, org, data_uri(PNG)), 422, ref="error.not-unique")
    assert await MediaFile.count() == 2
    assert len(media_blobs(app, org.id)) == 2
    # Another folder, or another product of the org, is another matter only for the folder.
    created(await add_download(client, org, {**other, "directory": "~/content/images/other"}))


async def test_concurrent_uploads_of_one_name_store_one_file(client, app, org, product):
    files = [{"src": data_uri(f"take {i}".encode()), "filename": "cover.png"} for i in range(6)]
    responses = await asyncio.gather(*(add_download(client, org, file) for file in files))
    assert sorted(r.status_code for r in responses) == [201] + [422] * 5
    for response in responses:
        if response.status_code == 422:
            refused(response, 422, name="file.filename", ref="error.not-unique")
    assert await MediaFile.count() == 1
    assert len(media_blobs(app, org.id)) == 1


async def test_the_name_is_unique_across_the_organizations_products(client, org, product):
    ok(await client.post("/api/products", json={"name": "Second", "slug": "second"}, headers=org.member), 201)
    created(await add_download(client, org, {"src": data_uri(PNG), "filename": "cover.png"}))
    refused(
        await add_download(client, org, {"src": data_uri(PNG), "filename": "cover.png"}, product="second"),
        422,
        ref="error.not-unique",
    )


async def test_malformed_json_is_400_in_the_v2_envelope(client, org, product):
    response = await client.post(url(), content=b'{"data": {"file": ', headers={**org.member, "Content-Type": "application/json"})
    refused(response, 400, ref="error.malformed")
    assert await MediaFile.count() == 0


async def test_empty_body_is_missing_data(client, org, product):
    refused(await client.post(url(), headers=org.member), 422, name="data", ref="error.required")


# --- who may call, and on which product ----------------------------------------------


async def test_without_a_key_is_401_in_the_v2_envelope(client, org, product):
    refused(await client.post(url(), json={"data": {"file": data_uri(PNG)}}), 401, ref="error.unauthorized")
    refused(
        await client.post(url(), json={"data": {"file": data_uri(PNG)}}, headers={"Authorization": "Bearer ct_key_nope"}),
        401,
    )
    assert await MediaFile.count() == 0


async def test_a_key_without_the_products_scope_is_403(client, org, product):
    secret, key = await create_api_key(org.id, "member", scopes=["reports"])
    headers = {"Authorization": f"Bearer {secret}"}
    error = refused(await client.post(url(), json={"data": {"file": data_uri(PNG)}}, headers=headers), 403, ref="error.forbidden")
    assert "products" in error["message"]
    # A key whose scopes were emptied is refused the same way.
    await ApiKey.update({ApiKey.scopes: []}).where(ApiKey.key_hash == hash_secret(secret))
    refused(await client.post(url(), json={"data": {"file": data_uri(PNG)}}, headers=headers), 403)
    assert await MediaFile.count() == 0


async def test_a_viewer_key_cannot_add_downloads(client, org, product):
    refused(await client.post(url(), json={"data": {"file": data_uri(PNG)}}, headers=org.viewer), 403)


async def test_unknown_product_is_404_in_the_v2_envelope(client, org, product):
    refused(await add_download(client, org, data_uri(PNG), product="no-such-product"), 404, name="productId", ref="error.not-found")
    assert await MediaFile.count() == 0


async def test_another_organizations_product_is_not_found(client, app, org, other_org, product):
    refused(await add_download(client, other_org, data_uri(PNG), product=PRODUCT), 404)
    assert await MediaFile.count() == 0
    assert media_blobs(app, other_org.id) == []


async def test_organizations_have_their_own_media_libraries(client, app, org, other_org, product):
    ok(await client.post("/api/products", json={"name": "Theirs", "slug": PRODUCT}, headers=other_org.member), 201)
    file = {"src": data_uri(PNG), "filename": "cover.png", "directory": "~/content/images"}
    mine = created(await add_download(client, org, file))
    theirs = created(await add_download(client, other_org, file))
    assert mine["id"] != theirs["id"]
    rows = {row["org"]: row for row in await MediaFile.select()}
    assert rows[org.id]["storage_key"].startswith(f"orgs/{org.id}/media/")
    assert rows[other_org.id]["storage_key"].startswith(f"orgs/{other_org.id}/media/")
    assert len(media_blobs(app, org.id)) == len(media_blobs(app, other_org.id)) == 1


async def test_deleting_the_product_removes_its_media_files_and_bytes(client, app, org, product):
    created(await add_download(client, org, {"src": data_uri(PNG), "filename": "cover.png"}))
    ok(await client.delete(f"/api/products/{PRODUCT}", headers=org.admin))
    assert await MediaFile.count() == 0
    assert media_blobs(app, org.id) == []
    # The name is free again for another product of the organization.
    ok(await client.post("/api/products", json={"name": "Again", "slug": "again"}, headers=org.member), 201)
    created(await add_download(client, org, {"src": data_uri(PNG), "filename": "cover.png"}, product="again"))
