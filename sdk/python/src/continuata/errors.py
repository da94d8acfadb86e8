"""Exceptions: one class per kind of failure, each carrying the HTTP status
and the hub's own message (``{"success": false, "error": "..."}``), so an
integrator can ``except NotFoundError`` without parsing texts."""

from __future__ import annotations

from typing import Any


class ContinuataError(Exception):
    """Base of everything this SDK raises."""


class APIError(ContinuataError):
    """The hub could not be asked, or said no. ``status_code`` is ``None``
    when no answer arrived (see :class:`APIConnectionError`)."""

    def __init__(self, message: str, *, status_code: int | None = None, body: Any = None) -> None:
        super().__init__(message if status_code is None else f"{status_code}: {message}")
        self.message = message
        self.status_code = status_code
        self.body = body


class APIConnectionError(APIError):
    """No answer: the hub is unreachable, or the connection broke (after retries)."""


class APIStatusError(APIError):
    """The hub answered with an error status."""


class ValidationError(APIStatusError):
    """400 or 422: the request breaks a rule; the message names the field."""


class AuthenticationError(APIStatusError):
    """401: no API key, or an unknown or revoked one."""


class PermissionDeniedError(APIStatusError):
    """403: the key's role is too low (or, for a download token, it is used up)."""


class NotFoundError(APIStatusError):
    """404: no such product, version, upload, token or endpoint in your organization."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the current state (duplicate slug or version, …)."""


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` is the hub's advice in seconds, if given."""

    def __init__(self, message: str, *, status_code: int | None = None, body: Any = None, retry_after: float | None = None) -> None:
        super().__init__(message, status_code=status_code, body=body)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """5xx: the hub failed (after retries, for calls that are safe to repeat)."""


class OrganizationMismatchError(ContinuataError):
    """The API key belongs to another organization than the ``org_id`` the client was given."""


class UploadError(ContinuataError):
    """A folder upload cannot go on; the message says why and what to do."""


class WebhookVerificationError(ContinuataError):
    """A webhook's signature or timestamp does not check out: do not trust its body."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


def error_for_status(status_code: int, message: str, body: Any = None, retry_after: float | None = None) -> APIStatusError:
    """The exception a status answers with."""
    if status_code == 429:
        return RateLimitError(message, status_code=status_code, body=body, retry_after=retry_after)
    kind = _BY_STATUS.get(status_code) or (InternalServerError if status_code >= 500 else APIStatusError)
    return kind(message, status_code=status_code, body=body)


class LicenseFileError(ContinuataError):
    """An offline license file that must not be trusted: not a license file,
    a signature that does not match (a changed byte, another shop's key),
    another machine's, past its ``checkInBy`` (its TTL) or its license's
    expiry. The message says which."""
