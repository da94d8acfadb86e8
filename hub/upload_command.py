"""``continuata-hub upload``: the Python SDK's resumable folder upload
(:meth:`continuata.resources.Versions.upload_folder`) behind a rich
progress bar. There is one upload client, the SDK's; this module only
draws it."""

from __future__ import annotations

from pathlib import Path

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

import continuata


def upload_folder(
    *,
    api_url: str,
    api_key: str,
    product_id: str,
    version: str,
    folder: Path,
    changelog: str = "",
    activate: bool = False,
    notify: bool = False,
    note: str = "",
    show_progress: bool = True,
) -> continuata.Version:
    """Upload ``folder`` as ``version`` of ``product_id`` (resuming an earlier
    run); raises :class:`continuata.ContinuataError` with the reason."""
    with continuata.Client(base_url=api_url, api_key=api_key, timeout=120.0) as client, Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        disable=not show_progress,
    ) as progress:
        task = progress.add_task("Hashing files", total=None)

        def show(step: continuata.UploadProgress) -> None:
            progress.update(task, description=step.path, completed=step.bytes_done, total=step.bytes_total)

        result = client.versions.upload_folder(
            product_id, version, folder, changelog=changelog or None, activate=activate, on_progress=show,
            notify=notify, note=note or None,
        )
    if show_progress:
        print(f"Version {version} of {product_id} is {result.status}: {result.file_count} files, {result.size} bytes")
    return result
