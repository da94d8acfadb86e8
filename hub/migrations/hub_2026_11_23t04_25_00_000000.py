"""Indexes for the download path: a token's sessions, a session's transfers."""

from hub.db import index_migration

ID = "2026-11-23T04:25:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hub_download_indexes"

forwards = index_migration(
    ID,
    DESCRIPTION,
    {
        "hub_download_session_token_key": ("hub_download_session", ("token", "session_key")),
        "hub_file_transfer_session": ("hub_file_transfer", ("session",)),
        "hub_download_token_version": ("hub_download_token", ("version",)),
        "hub_version_file_version": ("hub_version_file", ("version",)),
    },
    unique=False,
)
