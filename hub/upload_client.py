"""The upload client behind ``continuata-hub upload``: a plain HTTP client
of the hub's API, resumable.

It hashes the folder, creates the version (or finds it, when a previous run
was interrupted), uploads every missing part of every file that is not yet
ready, completes each file, and optionally activates the version. Run again
after any interruption (of the client or of the hub), it finishes the job:
the hub's completion is idempotent, and when it answers that parts must be
sent again, the client sends the ones it names.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn


class UploadError(Exception):
    """The upload could not finish; the message says why and what to do."""


def manifest_of(folder: Path) -> list[dict]:
    if not folder.is_dir():
        raise UploadError(f"{folder} is not a folder")
    files = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        files.append(
            {"path": path.relative_to(folder).as_posix(), "size": path.stat().st_size, "sha256": digest.hexdigest()}
        )
    if not files:
        raise UploadError(f"{folder} has no files to upload")
    return files


def _check(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.is_success:
        return body.get("data", body)
    raise UploadError(f"{response.request.method} {response.request.url.path}: {response.status_code} {body.get('error', response.text)}")


def upload_folder(
    *,
    api_url: str,
    api_key: str,
    product_id: str,
    version: str,
    folder: Path,
    changelog: str = "",
    activate: bool = False,
    show_progress: bool = True,
) -> dict:
    """Upload ``folder`` as ``version`` of ``product_id``; returns the version."""
    files = manifest_of(folder)
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=api_url.rstrip("/"), headers=headers, timeout=httpx.Timeout(120.0)) as client:
        try:
            created = client.post(
                f"/api/products/{product_id}/versions",
                json={"version": version, "changelog": changelog, "files": files},
            )
            if created.status_code == 409:  # an earlier run created it: resume
                current = _check(client.get(f"/api/products/{product_id}/versions/{version}"))["version"]
                if {(f["path"], f["size"], f["sha256"]) for f in current["files"]} != {
                    (f["path"], f["size"], f["sha256"]) for f in files
                }:
                    raise UploadError(f"Version {version} already exists with different files; choose a new version")
            else:
                current = _check(created)["version"]
            pending = [f for f in current["files"] if f["status"] != "ready"]
            total = sum(f["size"] for f in pending)
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                disable=not show_progress,
            ) as progress:
                task = progress.add_task(f"Uploading {len(pending)} files", total=total)
                for file in pending:
                    progress.update(task, description=file["path"])
                    _upload_file(client, product_id, version, folder / file["path"], file["path"], progress, task)
            if activate:
                _check(client.patch(f"/api/products/{product_id}", json={"activeVersion": version}))
            result = _check(client.get(f"/api/products/{product_id}/versions/{version}"))["version"]
        except httpx.HTTPError as problem:
            raise UploadError(f"Cannot reach the hub at {api_url}: {problem}") from problem
    if show_progress:
        print(f"Version {version} of {product_id} is {result['status']}: {result['fileCount']} files, {result['size']} bytes")
    return result


#: How many times one file's upload is started over when the hub answers
#: that its upload is no longer in progress (aborted meanwhile, or storage
#: lost the parts and asks for them again).
ROUNDS = 3


def _upload_file(client: httpx.Client, product_id: str, version: str, local: Path, path: str, progress, task) -> None:
    for round_ in range(1, ROUNDS + 1):
        upload = _check(client.post(f"/api/products/{product_id}/versions/{version}/uploads", json={"path": path}))["upload"]
        with local.open("rb") as handle:
            for part in upload["parts"]:
                if part["received"]:
                    progress.advance(task, part["size"])
                    continue
                handle.seek((part["partNumber"] - 1) * upload["partSize"])
                data = handle.read(part["size"])
                _check(
                    client.put(
                        f"/api/uploads/{upload['id']}/parts/{part['partNumber']}",
                        content=data,
                        headers={"Content-Type": "application/octet-stream"},
                    )
                )
                progress.advance(task, len(data))
        completed = client.post(f"/api/uploads/{upload['id']}/complete")
        if completed.status_code != 409 or round_ == ROUNDS:
            _check(completed)
            return
        # 409: the parts must be sent again; the next round asks which.
        progress.advance(task, -sum(p["size"] for p in upload["parts"]))
