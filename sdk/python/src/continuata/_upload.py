"""The resumable folder upload, written once as a generator of
:class:`~continuata._calls.Call`s that both clients drive.

It hashes the folder, creates the version (or, when an earlier run was
interrupted, checks that the existing version has the same files), then
for every file not yet ready asks the hub which parts it already holds,
sends the missing ones and completes the file. Running it again after any
failure picks up where it stopped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from continuata import models
from continuata._calls import Call, body
from continuata.errors import ConflictError, UploadError
from continuata.models import UploadProgress, Version, from_api

ProgressCallback = Callable[[UploadProgress], None]


def manifest_of(folder: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every file under ``folder``: relative POSIX path, size and sha256."""
    root = Path(folder)
    if not root.is_dir():
        raise UploadError(f"{root} is not a folder")
    files = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        files.append({"path": path.relative_to(root).as_posix(), "size": path.stat().st_size, "sha256": digest.hexdigest()})
    if not files:
        raise UploadError(f"{root} has no files to upload")
    return files


def _same_files(version: dict[str, Any], files: list[dict[str, Any]]) -> bool:
    def key(f: dict[str, Any]) -> tuple[str, int, str]:
        return f["path"], f["size"], f["sha256"]

    return {key(f) for f in version.get("files", [])} == {key(f) for f in files}


#: How many times one file's upload is started over when the hub answers 409
#: to its completion: the upload was aborted meanwhile, or storage lost parts
#: and the hub asks for them again (the next round asks which).
ROUNDS = 3


def _upload_file(
    base: str, version: str, root: Path, file: dict[str, Any], progress: UploadProgress, on_progress: ProgressCallback | None
) -> Generator[Call, Any, None]:
    """Send one file's missing parts and complete it."""
    for round_ in range(1, ROUNDS + 1):
        upload = (yield Call("POST", f"{base}/{version}/uploads", json={"path": file["path"]}))["upload"]
        sent = 0
        with (root / file["path"]).open("rb") as handle:
            for part in upload["parts"]:
                if not part["received"]:
                    handle.seek((part["partNumber"] - 1) * upload["partSize"])
                    data = handle.read(part["size"])
                    yield Call(
                        "PUT",
                        f"/api/uploads/{upload['id']}/parts/{part['partNumber']}",
                        content=data,
                        headers={"Content-Type": "application/octet-stream"},
                    )
                progress.bytes_done += part["size"]
                sent += part["size"]
                if on_progress:
                    on_progress(dataclasses.replace(progress))
        try:
            yield Call("POST", f"/api/uploads/{upload['id']}/complete")
            return
        except ConflictError:
            if round_ == ROUNDS:
                raise
            progress.bytes_done -= sent


def upload_folder_steps(
    product_id: str,
    version: str,
    folder: str | os.PathLike[str],
    *,
    changelog: str | None = None,
    activate: bool = False,
    on_progress: ProgressCallback | None = None,
    notify: bool = False,
    note: str | None = None,
) -> Generator[Call, Any, Version]:
    root = Path(folder)
    files = manifest_of(root)
    base = f"/api/products/{product_id}/versions"
    try:
        current = (yield Call("POST", base, json=body(version=version, changelog=changelog, files=files)))["version"]
    except ConflictError:  # an earlier run created it: resume
        current = (yield Call("GET", f"{base}/{version}"))["version"]
        if current.get("status") != "ready" and not _same_files(current, files):
            raise UploadError(f"Version {version} already exists with different files; choose a new version") from None
        if current.get("status") == "ready" and not _same_files(current, files):
            raise UploadError(f"Version {version} is ready with different files; choose a new version") from None
    pending = [f for f in current.get("files", []) if f["status"] != "ready"]
    progress = UploadProgress(path="", bytes_done=0, bytes_total=sum(f["size"] for f in pending), files_done=0, files_total=len(pending))
    for file in pending:
        progress.path = file["path"]
        yield from _upload_file(base, version, root, file, progress, on_progress)
        progress.files_done += 1
        if on_progress:
            on_progress(dataclasses.replace(progress))
    if activate:
        change = body(activeVersion=version, notify=True if notify else None, note=note if notify else None)
        yield Call("PATCH", f"/api/products/{product_id}", json=change, idempotent=True)
    return from_api(models.Version, (yield Call("GET", f"{base}/{version}"))["version"])
