"""The media library's naming rules as plain functions: content URI
directories, file names, extensions and folders by MIME type, and where a
media file appears among a download's files."""

from __future__ import annotations

import pytest

from hub.errors import Invalid
from hub.services.media import check_directory, check_filename, directory_for, extension_for, media_path


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("~/content", "~/content"),
        ("~/content/", "~/content"),
        ("\u02dc/content/images/products", "~/content/images/products"),
        ("~/content//images/./products//", "~/content/images/products"),
        ("~/content/Ünïcode folder", "~/content/Ünïcode folder"),
        ("~/content/cafe\u0301", "~/content/caf\u00e9"),  # NFC
    ],
)
def test_content_uri_directories_are_normalized(given, stored):
    assert check_directory(given) == stored


@pytest.mark.parametrize(
    "given",
    ["", "~", "~/", "~/contentx", "~/content/..", "~/content/a/../b", "/~/content", "~\\content", "~/content/\x7f", None],
)
def test_directories_outside_content_are_invalid(given):
    with pytest.raises(Invalid) as refused:
        check_directory(given)
    assert refused.value.field == "file.directory"


def test_file_names_are_plain_names():
    assert check_filename("my-image-name.png") == "my-image-name.png"
    assert check_filename("é" * 127) == "é" * 127  # 254 bytes of UTF-8
    for bad in ("", "a/b", "a\\b", ".", "..", "x\x00", "x ", "é" * 128, None):
        with pytest.raises(Invalid):
            check_filename(bad)


@pytest.mark.parametrize(
    ("mime_type", "extension"),
    [
        ("image/png", ".png"),
        ("image/jpeg", ".jpg"),
        ("audio/mpeg", ".mp3"),
        ("audio/wav", ".wav"),
        ("audio/x-wav", ".wav"),
        ("audio/flac", ".flac"),
        ("application/pdf", ".pdf"),
        ("application/zip", ".zip"),
        ("text/plain", ".txt"),
        ("application/x-no-such-thing", ".bin"),
    ],
)
def test_extension_by_mime_type(mime_type, extension):
    assert extension_for(mime_type) == extension


def test_folder_by_mime_type():
    assert directory_for("image/webp") == "~/content/images"
    assert directory_for("audio/ogg") == "~/content/audio"
    assert directory_for("video/webm") == "~/content/video"
    assert directory_for("application/epub+zip") == "~/content/documents"
    assert directory_for("application/vnd.openxmlformats-officedocument.wordprocessingml.document") == "~/content/documents"
    assert directory_for("text/csv") == "~/content/documents"
    assert directory_for("application/zip") == "~/content/files"


def test_media_path_drops_the_content_root():
    assert media_path("~/content/images/products", "cover.png") == "media/images/products/cover.png"
    assert media_path("~/content", "cover.png") == "media/cover.png"
