"""The core's errors: values with a home.

Services raise these; each API surface translates them into its own
envelope with one exception handler. ``field`` names the offending input so
that validation errors can point at it.
"""

from __future__ import annotations


class HubError(Exception):
    """Base of every error the hub answers to a client on purpose."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BadRequest(HubError):
    status_code = 400


class Unauthorized(HubError):
    status_code = 401


class Forbidden(HubError):
    status_code = 403


class NotFound(HubError):
    status_code = 404


class Conflict(HubError):
    status_code = 409


class Gone(HubError):
    """The thing existed but may no longer be used (an expired link)."""

    status_code = 410


class PayloadTooLarge(HubError):
    status_code = 413


class Invalid(HubError):
    """Input that parses but breaks a rule; ``field`` says which input."""

    status_code = 422


class Problems(Invalid):
    """Several inputs break rules at once; ``errors`` holds each one, so a
    client fixing a form gets all of them in one answer. Anywhere that knows
    only :class:`Invalid` sees the first problem."""

    def __init__(self, errors: list[Invalid]) -> None:
        super().__init__(errors[0].message, field=errors[0].field)
        self.errors = list(errors)


class TooManyRequests(HubError):
    status_code = 429


class Unavailable(HubError):
    """A service the hub depends on (storage) failed; the request may be retried."""

    status_code = 503


class RelayBusy(Exception):
    """A mailer's relay asks the hub to slow down (an SMTP ``421``, "too many
    messages, try later"): nothing is wrong with the message, the relay is
    at its pace.

    Part of the mailer contract (the ``hub_mailer`` hook): the outbox puts
    the message back without spending one of its attempts and pauses this
    process's sending (1 s, doubled while the relay keeps refusing, at most
    30 s), so the hub slows to the relay's pace instead of hammering it and
    backing each message off for minutes.
    """


class PermanentDeliveryError(Exception):
    """A mailer's delivery was refused for good: another attempt would get
    the same answer (say, a relay's "550 no such user").

    Part of the mailer contract (the ``hub_mailer`` hook): a mailer raises
    it, with the refusal's own words as the message, for a refusal that no
    retry can change; the outbox then marks the message ``failed`` at once
    (``email.failed``) instead of retrying it. Any other exception is
    taken as temporary and retried with backoff.
    """
