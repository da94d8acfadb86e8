"""Tracks of a release: a title, a position (one track per position), an
ISRC, a duration, artists, and the audio file in one of the product's
versions."""

from __future__ import annotations

from typing import Any

from hub.errors import Invalid
from hub.manifest import normalize_path
from hub.services.catalog.checks import (
    Checker,
    check_integer,
    check_isrc,
    check_names,
    check_string,
    required,
)
from hub.services.catalog.parts import PartKind, refuse_field, require_fields
from hub.tables import Track, VersionFile

TRACK_FIELDS = ("title", "isrc", "position", "duration", "artists", "file")
TRACK_REQUIRED = ("title", "position")


async def _find_audio(product: dict[str, Any], path: Any) -> str:
    """The id of the version file at ``path``: in the active version if it
    is there, else in the newest version that has it."""
    path = normalize_path(path, field="file")
    rows = await VersionFile.select(VersionFile.id, VersionFile.version).where(
        VersionFile.version.product == product["id"], VersionFile.path == path
    ).order_by(VersionFile.version.created_at, ascending=False)
    if not rows:
        raise Invalid(
            f"file must be the path of a file in a version of product {product['slug']}; there is no {path!r}",
            field="file",
        )
    active = next((r for r in rows if r["version"] == product["active_version"]), None)
    file_id: str = (active or rows[0])["id"]
    return file_id


async def _check_track(checks: Checker, product: dict[str, Any], fields: dict[str, Any], current: dict[str, Any] | None) -> dict[Any, Any]:
    values: dict[Any, Any] = {}
    for name, value in fields.items():
        if name == "title":
            values[Track.title] = checks.run(check_string, value, name, is_required=True)
        elif name == "isrc":
            values[Track.isrc] = checks.run(check_isrc, value, name)
        elif name == "position":
            values[Track.position] = checks.run(check_integer, value, name, minimum=1, maximum=10_000)
            if value is None:
                checks.errors.append(required(name))
        elif name == "duration":
            values[Track.duration] = None if value is None else checks.run(
                check_integer, value, name, minimum=0, maximum=86_400
            )
        elif name == "artists":
            values[Track.artists] = checks.run(check_names, value, name) or []
        elif name == "file":
            values[Track.file] = None if value is None else await checks.wait(_find_audio(product, value))
        else:
            refuse_field(checks, name, "a track")
    position = values.get(Track.position)
    if position is not None:
        # An album has one track 1. (Checked here, not by a unique index:
        # two concurrent creates on PostgreSQL could still both pass.)
        taken = await Track.select(Track.id).where(
            Track.product == product["id"], Track.position == position, Track.id != (current or {}).get("id", "")
        ).first()
        if taken:
            checks.errors.append(Invalid(f"position is already taken by track {taken['id']}", field="position"))
    require_fields(checks, TRACK_REQUIRED, fields, current)
    return values


TRACKS = PartKind(Track, "Track", "track", TRACK_FIELDS, TRACK_REQUIRED, _check_track, ("position",), has_file=True)
