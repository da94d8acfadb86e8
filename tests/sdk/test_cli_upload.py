"""``continuata-hub upload`` is the SDK's folder upload behind a progress
bar: it resumes what an earlier run left and reports failures in one line."""

from __future__ import annotations

import os
import subprocess

import continuata
from tests.sdk.conftest import ORG
from tests.support.server import hub_command


def upload(sdk_hub, cwd, *args: str) -> subprocess.CompletedProcess:
    env = {**sdk_hub.server.env, "HUB_API_URL": sdk_hub.url, "HUB_API_KEY": sdk_hub.admin_key}
    return subprocess.run(hub_command("upload", *args), env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_cli_upload_resumes_through_the_sdk_and_explains_failures(sdk_hub, tmp_path):
    slug = f"cli-{os.urandom(3).hex()}"
    folder = tmp_path / "kit"
    folder.mkdir()
    (folder / "one.wav").write_bytes(os.urandom(100_000))
    (folder / "two.wav").write_bytes(os.urandom(100_000))
    with continuata.Client(api_key=sdk_hub.admin_key, org_id=ORG, base_url=sdk_hub.url) as client:
        client.products.create(name="CLI kit", slug=slug)
        client.versions.create(slug, version="1.0.0", files=continuata.manifest_of(folder))
        first = client.uploads.start(slug, "1.0.0", "one.wav")
        client.uploads.put_part(first.id, 1, (folder / "one.wav").read_bytes())
        client.uploads.complete(first.id)  # an interrupted run got this far

        done = upload(sdk_hub, tmp_path, slug, "1.0.0", str(folder), "--activate")
        assert done.returncode == 0, done.stderr
        assert f"Version 1.0.0 of {slug} is ready: 2 files, 200000 bytes" in done.stdout
        assert client.products.get(slug).active_version.version == "1.0.0"

    (folder / "two.wav").write_bytes(b"other bytes")
    refused = upload(sdk_hub, tmp_path, slug, "1.0.0", str(folder))
    assert refused.returncode == 1
    assert "continuata-hub: Version 1.0.0 is ready with different files; choose a new version" in refused.stderr

    missing = upload(sdk_hub, tmp_path, "no-such-product", "1.0.0", str(folder))
    assert missing.returncode == 1 and "404" in missing.stderr and "no-such-product" in missing.stderr
    assert "Traceback" not in missing.stderr + refused.stderr
