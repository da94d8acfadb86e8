"""Tokens and API keys never reach a log line."""

from __future__ import annotations

import logging

from hub.logs import RedactSecrets, redact


def test_request_lines_lose_their_token():
    line = "GET /download?token=ct_download_AbC-123_x&x=1 HTTP/1.1"
    assert redact(line) == "GET /download?token=ct_download_[redacted]&x=1 HTTP/1.1"


def test_access_log_records_are_redacted():
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", "/download/files/f/x.wav?token=ct_download_secret", "1.1", 200), None,
    )
    RedactSecrets().filter(record)
    assert "ct_download_secret" not in record.getMessage()
    assert "ct_download_[redacted]" in record.getMessage()
