"""Rules for a version's manifest: file paths, version strings, digests.

A manifest path names a file inside its version and nothing else: it is
relative, uses forward slashes, and cannot climb out (``..``), so it can be
shown to buyers and used in a Content-Disposition without escaping the
version. Paths are compared after normalization, so ``a//b`` and ``a/./b``
are the same file.
"""

from __future__ import annotations

import re
import unicodedata

from hub.errors import Invalid

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")
MAX_PATH_LENGTH = 1024


def normalize_path(path: object, field: str = "path") -> str:
    """Return the canonical form of a manifest path, or raise :class:`Invalid`."""
    if not isinstance(path, str) or not path.strip():
        raise Invalid(f"{field} must be a non-empty relative path", field=field)
    if "\x00" in path:
        raise Invalid(f"{field} must not contain NUL bytes", field=field)
    if "\\" in path:
        raise Invalid(f"{field} must use forward slashes, not backslashes: {path!r}", field=field)
    if any(unicodedata.category(ch) == "Cc" for ch in path):
        raise Invalid(f"{field} must not contain control characters: {path!r}", field=field)
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        raise Invalid(f"{field} must be relative, not absolute: {path!r}", field=field)
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise Invalid(f"{field} must not contain '..': {path!r}", field=field)
    if not parts:
        raise Invalid(f"{field} must name a file: {path!r}", field=field)
    normalized = unicodedata.normalize("NFC", "/".join(parts))
    if len(normalized) > MAX_PATH_LENGTH:
        raise Invalid(f"{field} is longer than {MAX_PATH_LENGTH} characters", field=field)
    return normalized


FOLDER_SEPARATOR = " - "


def download_name(path: str) -> str:
    """The name a single downloaded file is saved under: its folders joined
    to its name with `` - `` (``Kicks/Kick_01.wav`` → ``Kicks - Kick_01.wav``),
    so two ``Crash_01.wav`` of two folders do not overwrite each other in
    the buyer's downloads folder; a file at the top of the version keeps its
    name. The header that carries it escapes it
    (:func:`hub.storage.base.content_disposition_attachment`)."""
    return FOLDER_SEPARATOR.join(part for part in path.split("/") if part)


def check_version_string(version: str, field: str = "version") -> str:
    """A version is a semantic version (``1.2.0``, ``2.0.0-beta.1``)."""
    if not isinstance(version, str) or not SEMVER.match(version) or len(version) > 100:
        raise Invalid(f"{field} must be a semantic version such as 1.0.0, not {version!r}", field=field)
    return version


def check_sha256(digest: object, field: str = "sha256") -> str:
    """A SHA-256 digest in hex; stored lower-case."""
    if not isinstance(digest, str) or not SHA256_HEX.match(digest):
        raise Invalid(f"{field} must be 64 hexadecimal characters (a SHA-256 digest)", field=field)
    return digest.lower()
