"""Unique indexes over several columns of the initial schema."""

from hub.db import index_migration

ID = "2026-11-23T03:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hub_unique_indexes"

forwards = index_migration(
    ID,
    DESCRIPTION,
    {
        "hub_product_org_slug": ("hub_product", ("org", "slug")),
        "hub_version_product_version": ("hub_version", ("product", "version")),
        "hub_version_file_version_path": ("hub_version_file", ("version", "path")),
        "hub_upload_part_file_upload_part": ("hub_upload_part", ("file", "upload_id", "part_number")),
        "hub_purchase_org_provider_ref": ("hub_purchase", ("org", "provider", "provider_ref")),
    },
)
