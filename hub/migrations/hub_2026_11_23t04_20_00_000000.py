"""Unique indexes of the catalog: one media file name per library folder."""

from hub.db import index_migration

ID = "2026-11-23T04:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hub_catalog_unique_indexes"

forwards = index_migration(
    ID,
    DESCRIPTION,
    {
        "hub_media_file_org_directory_filename": ("hub_media_file", ("org", "directory", "filename")),
        "hub_language_org_code": ("hub_language", ("org", "code")),
    },
)
