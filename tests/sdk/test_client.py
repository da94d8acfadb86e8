"""The blocking ``continuata.Client`` against a real hub: every operation,
typed results, times, pagination, errors, retries and the resumable upload."""

from __future__ import annotations

import hashlib
import os
import socket
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

import continuata
from tests.sdk.conftest import ORG, SdkHub
from tests.support.flaky_proxy import flaky_proxy


@pytest.fixture
def client(sdk_hub: SdkHub):
    with continuata.Client(api_key=sdk_hub.admin_key, org_id=ORG, base_url=sdk_hub.url) as client:
        yield client


def unique(prefix: str) -> str:
    return f"{prefix}-{os.urandom(4).hex()}"


def test_me_and_the_org_id_check_on_first_use(sdk_hub):
    with continuata.Client(api_key=sdk_hub.admin_key, base_url=sdk_hub.url) as anyone:
        me = anyone.me()
    assert me.organization.id == ORG and me.role == "admin" and me.scopes == ["products"]

    with continuata.Client(api_key=sdk_hub.admin_key, org_id="another-shop", base_url=sdk_hub.url) as wrong:
        with pytest.raises(continuata.OrganizationMismatchError) as refused:
            wrong.products.get("epic-drums-v1")
    assert "'your-org-id', not 'another-shop'" in str(refused.value)


def test_key_and_address_come_from_the_environment_or_fail_clearly(sdk_hub, monkeypatch):
    monkeypatch.delenv("CONTINUATA_API_KEY", raising=False)
    monkeypatch.delenv("CONTINUATA_API_URL", raising=False)
    with pytest.raises(continuata.ContinuataError, match="CONTINUATA_API_KEY"):
        continuata.Client(org_id=ORG, base_url=sdk_hub.url)
    with pytest.raises(continuata.ContinuataError, match="CONTINUATA_API_URL"):
        continuata.Client(api_key=sdk_hub.admin_key, org_id=ORG)
    monkeypatch.setenv("CONTINUATA_API_KEY", sdk_hub.admin_key)
    monkeypatch.setenv("CONTINUATA_API_URL", sdk_hub.url + "/")
    with continuata.Client(org_id=ORG) as client:
        assert client.products.get("epic-drums-v1").name == "Epic Drum Kit Vol. 1"


def test_products_are_typed_paginated_updated_and_deleted(client):
    prefix = unique("kit")
    made = [client.products.create(name=f"{prefix} {n}", slug=f"{prefix}-{n}", metadata={"n": n}) for n in range(5)]
    assert isinstance(made[0], continuata.Product)
    assert made[0].status == "draft" and made[0].org_id == ORG and made[0].metadata == {"n": 0}
    assert made[0].created_at.tzinfo is not None and made[0].active_version is None

    listed = list(client.products.list(search=prefix, page_size=2))  # three pages
    assert sorted(p.slug for p in listed) == sorted(p.slug for p in made)
    page = client.products.list_page(search=prefix, limit=2, offset=4)
    assert len(page.items) == 1 and page.pagination.total == 5 and page.pagination.has_more is False

    published = client.products.update(f"{prefix}-0", status="published", description="Loud")
    assert published.status == "published" and published.description == "Loud"
    with pytest.raises(continuata.ConflictError) as conflict:
        client.products.delete(f"{prefix}-0")
    assert conflict.value.status_code == 409
    client.products.delete(f"{prefix}-1")
    with pytest.raises(continuata.NotFoundError) as missing:
        client.products.get(f"{prefix}-1")
    assert missing.value.status_code == 404 and prefix in missing.value.message


def test_errors_carry_the_status_and_the_hubs_message(client, sdk_hub):
    with pytest.raises(continuata.ConflictError, match="epic-drums-v1"):
        client.products.create(name="Again", slug="epic-drums-v1")
    with pytest.raises(continuata.ValidationError) as invalid:
        client.products.create_token("epic-drums-v1", customer_email="not-an-email")
    assert invalid.value.status_code == 422 and "customerEmail" in invalid.value.message
    assert invalid.value.body["success"] is False

    with continuata.Client(api_key="ct_key_unknown", base_url=sdk_hub.url) as stranger:
        with pytest.raises(continuata.AuthenticationError) as unknown:
            stranger.products.get("epic-drums-v1")
    assert unknown.value.status_code == 401
    with continuata.Client(api_key=sdk_hub.viewer_key, org_id=ORG, base_url=sdk_hub.url) as viewer:
        assert viewer.products.get("epic-drums-v1").id == "epic-drums-v1"
        with pytest.raises(continuata.PermissionDeniedError, match="viewer"):
            viewer.products.create(name="Not allowed")

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with continuata.Client(api_key=sdk_hub.admin_key, base_url=closed, max_retries=1) as nowhere:
        with pytest.raises(continuata.APIConnectionError) as unreachable:
            nowhere.products.get("epic-drums-v1")
    assert unreachable.value.status_code is None and closed in str(unreachable.value)


@pytest.fixture
def new_york(monkeypatch):
    """Local time is New York's, so that a naive datetime is not UTC by accident."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_token_times_go_out_with_the_local_offset_and_come_back_aware(client, sdk_hub, new_york):
    naive_local = datetime(2099, 7, 1, 12, 0, 0)  # noon in New York = 16:00 UTC (summer time)
    token = client.products.create_token(
        product_id="epic-drums-v1", customer_email="buyer@example.com", expires_at=naive_local, max_downloads=3,
        metadata={"order": "o-1"},
    )
    assert token.expires_at == datetime(2099, 7, 1, 16, 0, tzinfo=UTC)
    assert token.max_downloads == 3 and token.used_count == 0 and token.customer_email == "buyer@example.com"
    assert token.download_url.startswith(f"{sdk_hub.url}/download?token=ct_download_")
    aware = client.products.create_token("epic-drums-v1", expires_at=datetime(2099, 1, 1, tzinfo=UTC))
    assert aware.expires_at == datetime(2099, 1, 1, tzinfo=UTC)

    listed = {t.id: t for t in client.products.list_tokens("epic-drums-v1", page_size=1)}
    assert token.id in listed and aware.id in listed
    assert listed[token.id].token is None and listed[token.id].download_url is None  # secrets are shown once

    revoked = client.products.revoke_token("epic-drums-v1", token.id)
    assert revoked.revoked and revoked.revoked_at is not None
    assert httpx.get(token.download_url, headers={"Accept": "application/json"}).status_code == 410


def test_generate_download_url_purchases_and_the_downloads_report(client):
    link = client.generate_download_url("epic-drums-v1")
    assert isinstance(link, continuata.DownloadUrl) and link.version == "1.0.0" and link.product_id == "epic-drums-v1"
    assert link.expires_at - datetime.now(UTC) < timedelta(hours=25)
    with pytest.raises(continuata.NotFoundError, match="No active manifest for epic-drums-v1@9.9.9"):
        client.generate_download_url("epic-drums-v1", version="9.9.9")

    reference = unique("order")
    email = f"{reference}@example.com"
    first = client.purchases.create(reference=reference, customer_email=email, items=["epic-drums-v1"], amount=1900, currency="EUR")
    assert first.created and first.purchase.tokens[0].product_id == "epic-drums-v1"
    again = client.purchases.create(reference=reference, customer_email=email, items=[{"product_id": "epic-drums-v1"}])
    assert not again.created and again.purchase.id == first.purchase.id
    mine = list(client.purchases.list(customer_email=email.upper()))
    assert [p.id for p in mine] == [first.purchase.id] and mine[0].amount == 1900 and mine[0].currency == "eur"

    with httpx.Client(headers={"Accept": "application/json"}) as browser:
        files = browser.get(link.download_url).json()["data"]["files"]
        assert browser.get(files[0]["url"]).content == b"kick drum, 1.0.0"
    today = datetime.now(UTC).date()
    rows = client.reports.downloads(start=today - timedelta(days=1), end=today + timedelta(days=1))
    assert any(row["customer_email"] == "" or row["token_id"] for row in rows)
    assert client.reports.downloads_csv(start=date(2000, 1, 1), end=date(2000, 1, 2)).startswith("session_id,")


def make_folder(root: Path) -> dict[str, bytes]:
    files = {"Kicks/Big Kick.wav": os.urandom(11 * 1024 * 1024), "Snares/snare 01.wav": os.urandom(200_000), "README.txt": b"thanks\n"}
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return files


def test_upload_folder_resumes_what_an_earlier_run_left_and_reports_progress(client, tmp_path):
    slug = unique("upload")
    client.products.create(name="Upload test", slug=slug)
    folder = tmp_path / "kit"
    files = make_folder(folder)
    # An earlier run: the version exists, README is in, the big file has its first part.
    client.versions.create(slug, version="2.0.0", files=continuata.manifest_of(folder), changelog="More kicks")
    readme = client.uploads.start(slug, "2.0.0", "README.txt")
    client.uploads.put_part(readme.id, 1, files["README.txt"])
    assert client.uploads.complete(readme.id).status != "ready"
    big = client.uploads.start(slug, "2.0.0", "Kicks/Big Kick.wav")
    assert big.part_count == 3 and [p.received for p in big.parts] == [False, False, False]
    client.uploads.put_part(big.id, 1, files["Kicks/Big Kick.wav"][: big.part_size])

    seen: list[continuata.UploadProgress] = []
    version = client.versions.upload_folder(
        slug, "2.0.0", folder, activate=True, on_progress=seen.append
    )
    assert version.status == "ready" and version.file_count == 3 and version.size == sum(map(len, files.values()))
    assert {f.path: f.sha256 for f in version.files} == {p: hashlib.sha256(d).hexdigest() for p, d in files.items()}
    assert client.products.get(slug).active_version.version == "2.0.0"
    left = len(files["Kicks/Big Kick.wav"]) + len(files["Snares/snare 01.wav"])
    assert seen[-1].bytes_done == seen[-1].bytes_total == left  # README was not sent again
    assert seen[-1].files_done == seen[-1].files_total == 2
    assert [s.bytes_done for s in seen] == sorted(s.bytes_done for s in seen)

    again = client.versions.upload_folder(slug, "2.0.0", folder)  # nothing left to send
    assert again.status == "ready"
    (folder / "README.txt").write_bytes(b"changed\n")
    with pytest.raises(continuata.UploadError, match="different files"):
        client.versions.upload_folder(slug, "2.0.0", folder)
    with pytest.raises(continuata.UploadError, match="is not a folder"):
        client.versions.upload_folder(slug, "3.0.0", folder / "nope")


def test_idempotent_calls_are_retried_on_5xx_and_others_are_not(sdk_hub):
    with flaky_proxy(sdk_hub.url) as proxy, continuata.Client(
        api_key=sdk_hub.admin_key, org_id=ORG, base_url=proxy.url, max_retries=2
    ) as client:
        client.me()
        proxy.fail_next(2)
        assert client.products.get("epic-drums-v1").id == "epic-drums-v1"
        assert proxy.seen["GET"] == 3

        proxy.fail_next(3)
        with pytest.raises(continuata.InternalServerError) as failed:
            client.products.get("epic-drums-v1")
        assert failed.value.status_code == 503 and failed.value.message == "Service unavailable"
        assert proxy.seen["GET"] == 3  # one try and two retries

        proxy.fail_next(1)
        with pytest.raises(continuata.InternalServerError):
            client.products.create_token("epic-drums-v1")  # minting twice would make two links
        assert proxy.seen["POST"] == 1


def test_a_file_whose_parts_storage_lost_before_completion_is_started_over(client, sdk_hub, tmp_path):
    """The hub answers 409 "send parts … again" when storage dropped the
    multipart upload; upload_folder starts that file over (up to three rounds)."""
    import shutil

    slug = unique("lost")
    client.products.create(name="Lost parts", slug=slug)
    data = os.urandom(6 * 1024 * 1024)  # two parts
    (tmp_path / "lost").mkdir()
    (tmp_path / "lost" / "kit.zip").write_bytes(data)
    multipart = Path(sdk_hub.server.env["HUB_DATA_DIR"]) / "blobs" / ".multipart"
    seen: list[int] = []

    def drop_parts_once(progress: continuata.UploadProgress) -> None:
        seen.append(progress.bytes_done)
        if len(seen) == 2:  # every part sent, not yet completed
            assert multipart.is_dir()
            shutil.rmtree(multipart)

    version = client.versions.upload_folder(slug, "1.0.0", tmp_path / "lost", on_progress=drop_parts_once)
    assert version.status == "ready"
    assert seen == [5 * 1024 * 1024, len(data), 5 * 1024 * 1024, len(data), len(data)]


def test_the_organization_identity_is_read_and_changed_with_a_logo_file(client, tmp_path):
    from tests.test_shop_identity import png

    logo = tmp_path / "logo.png"
    logo.write_bytes(png(8, 8, b"\x0f\x76\x6e"))
    changed = client.organization.update(
        name="Kick & Snare Audio", support_email="help@kick-snare.example", sender_name="Kick & Snare",
        accent_color="#0F766E", logo=logo,
    )
    assert isinstance(changed, continuata.ShopOrganization)
    assert (changed.name, changed.support_email, changed.sender_name, changed.accent_color) == (
        "Kick & Snare Audio", "help@kick-snare.example", "Kick & Snare", "#0f766e"
    )
    served = httpx.get(changed.logo_url.replace("http://127.0.0.1:8000", client.base_url))
    assert served.content == logo.read_bytes() and served.headers["content-type"] == "image/png"
    assert client.organization.get() == changed
    removed = client.organization.update(remove_logo=True)
    assert removed.logo_url is None and removed.name == "Kick & Snare Audio"
    with pytest.raises(continuata.ValidationError) as refused:
        client.organization.update(logo=b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert refused.value.status_code == 422 and "SVG is not accepted" in str(refused.value)


def test_update_rights_and_a_notified_activation_through_the_sdk(client, tmp_path):
    slug = unique("rights")
    made = client.products.create(name="Rights test", slug=slug, update_rights="window", update_window_days=365)
    assert (made.update_rights, made.update_window_days) == ("window", 365)
    changed = client.products.update(slug, update_rights="none")
    assert (changed.update_rights, changed.update_window_days) == ("none", None)
    with pytest.raises(continuata.ContinuataError, match="updateWindowDays"):
        client.products.update(slug, update_rights="window")
    folder = tmp_path / "kit"
    make_folder(folder)
    version = client.versions.upload_folder(slug, "1.0.0", folder, activate=True, notify=True, note="First release")
    assert version.published_at is not None and version.published_at.tzinfo is not None
    assert client.products.get(slug).active_version.version == "1.0.0"
