"""Products: list and search, create and edit, versions with files and
changelogs, a version uploaded as the browser's script does it (manifest,
resumable parts, SHA-256 checked on completion), activation."""

from __future__ import annotations

import hashlib
import re

from hub.services.people import create_user
from tests.console.conftest import PASSWORD, browser_of, csrf_of, post_form, sign_in


async def create_product(owner, name: str, slug: str = "", **fields):
    return await post_form(owner, "/console/products", "/console/products", name=name, slug=slug, **fields)


async def upload_token(owner, slug: str) -> str:
    page = await owner.get(f"/console/products/{slug}")
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text).group(1)


async def test_products_are_created_listed_searched_and_edited(owner):
    created = await create_product(owner, "Epic Drum Kit", description="Big drums", metadata='{"genre": "drums"}')
    assert created.status_code == 303 and created.headers["location"] == "/console/products/epic-drum-kit"
    await create_product(owner, "Lush Pads", slug="pads")
    listing = await owner.get("/console/products")
    assert "Epic Drum Kit" in listing.text and "Lush Pads" in listing.text
    found = await owner.get("/console/products?q=drum")
    assert "Epic Drum Kit" in found.text and "Lush Pads" not in found.text
    assert "No products match" in (await owner.get("/console/products?status=published")).text
    saved = await post_form(owner, "/console/products/pads", "/console/products/pads", name="Lush Pads II",
                            status="published", description="Soft", metadata='{"bpm": 90}')
    assert saved.status_code == 303
    page = await owner.get("/console/products/pads")
    assert "Lush Pads II" in page.text and "published" in page.text and "&#34;bpm&#34;: 90" in page.text
    assert (await create_product(owner, "Again", slug="pads")).status_code == 409
    assert (await create_product(owner, "Bad meta", metadata="[1, 2]")).status_code == 422
    assert (await owner.get("/console/products/nope")).status_code == 404
    assert "product.create" in (await owner.get("/console/settings/audit")).text


async def test_a_version_uploaded_like_the_browser_does_is_checked_resumable_and_activated(console_app, owner):
    await create_product(owner, "Kit", slug="kit")
    token = await upload_token(owner, "kit")
    headers = {"X-CSRF-Token": token, "Accept": "application/json"}
    big, small = b"k" * (6 * 1024 * 1024 + 123), b"snare"
    files = [{"path": "audio/kick.wav", "size": len(big), "sha256": hashlib.sha256(big).hexdigest()},
             {"path": "readme.txt", "size": len(small), "sha256": hashlib.sha256(small).hexdigest()}]
    body = {"version": "2.0.0", "changelog": "New kick", "files": files}
    refused = await owner.post("/console/products/kit/versions", json=body, headers={"Accept": "application/json"})
    assert refused.status_code == 403 and "expired" in refused.json()["error"]
    created = await owner.post("/console/products/kit/versions", json=body, headers=headers)
    assert created.status_code == 201, created.text
    plan = (await owner.post("/console/products/kit/versions/2.0.0/uploads", json={"path": "audio/kick.wav"}, headers=headers)).json()
    assert plan["partCount"] == 2
    first = plan["parts"][0]["size"]
    assert (await owner.put(f"/console/uploads/{plan['id']}/parts/1", content=big[:first], headers=headers)).status_code == 200
    # A reload: the same manifest again resumes; the first part is known.
    again = await owner.post("/console/products/kit/versions", json=body, headers=headers)
    assert again.status_code == 201
    resumed = (await owner.post("/console/products/kit/versions/2.0.0/uploads", json={"path": "audio/kick.wav"}, headers=headers)).json()
    assert resumed["id"] == plan["id"] and [p["received"] for p in resumed["parts"]] == [True, False]
    await owner.put(f"/console/uploads/{plan['id']}/parts/2", content=big[first:], headers=headers)
    assert (await owner.post(f"/console/uploads/{plan['id']}/complete", json={}, headers=headers)).status_code == 200
    # A file whose bytes do not match its SHA-256 is refused on completion.
    readme = (await owner.post("/console/products/kit/versions/2.0.0/uploads", json={"path": "readme.txt"}, headers=headers)).json()
    await owner.put(f"/console/uploads/{readme['id']}/parts/1", content=b"snafu", headers=headers)
    wrong = await owner.post(f"/console/uploads/{readme['id']}/complete", json={}, headers=headers)
    assert wrong.status_code == 422 and "sha256 mismatch" in wrong.json()["error"]
    readme = (await owner.post("/console/products/kit/versions/2.0.0/uploads", json={"path": "readme.txt"}, headers=headers)).json()
    await owner.put(f"/console/uploads/{readme['id']}/parts/1", content=small, headers=headers)
    done = await owner.post(f"/console/uploads/{readme['id']}/complete", json={}, headers=headers)
    assert done.json()["versionStatus"] == "ready"
    other = dict(body, files=files[:1])
    clash = await owner.post("/console/products/kit/versions", json=other, headers=headers)
    assert clash.status_code == 409 and "other files" in clash.json()["error"]

    page = await owner.get("/console/products/kit")
    assert "2.0.0" in page.text and "New kick" in page.text and "audio/kick.wav" in page.text
    # The first ready version became active by itself; a second one is activated here.
    await owner.post("/console/products/kit/versions", json={"version": "2.0.1", "files": files[1:]}, headers=headers)
    readme = (await owner.post("/console/products/kit/versions/2.0.1/uploads", json={"path": "readme.txt"}, headers=headers)).json()
    await owner.put(f"/console/uploads/{readme['id']}/parts/1", content=small, headers=headers)
    await owner.post(f"/console/uploads/{readme['id']}/complete", json={}, headers=headers)
    activated = await post_form(owner, "/console/products/kit", "/console/products/kit/activate", version="2.0.1")
    assert activated.status_code == 303
    assert "active version 2.0.1" in (await owner.get("/console/products/kit")).text
    assert (await post_form(owner, "/console/products/kit", "/console/products/kit/activate", version="9.9.9")).status_code == 404


async def test_viewers_see_products_but_change_nothing(console_app, owner):
    await create_product(owner, "Kit", slug="kit")
    await create_user("audio-company", "viewer@example.com", "viewer", PASSWORD)
    async with browser_of(console_app, ip="192.0.2.3") as viewer:
        await sign_in(viewer, "viewer@example.com")
        page = await viewer.get("/console/products/kit")
        assert page.status_code == 200 and "Upload a new version" not in page.text
        token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text).group(1)
        refused = await viewer.post("/console/products/kit/versions", json={"version": "1", "files": []},
                                    headers={"X-CSRF-Token": token, "Accept": "application/json"})
        assert refused.status_code == 403
        assert (await viewer.post("/console/products/kit", data={"_csrf_token": csrf_of(page.text), "name": "x"})).status_code == 403
