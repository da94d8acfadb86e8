"""Helpers for testing the hub and its plugins, shipped with the hub.

- :func:`hub.testing.app.hub_app` / :func:`~hub.testing.app.hub_client`:
  an app with the plugins you choose, running in your test's event loop,
  and an HTTP client for it.
- :class:`hub.testing.mailbox.CapturedMailbox`: a mailer plugin that keeps
  what the hub sends.
- :mod:`hub.testing.stripe`, :mod:`hub.testing.paypal`: webhook requests
  signed exactly as Stripe and PayPal sign them.
- :mod:`hub.testing.smtp`: a real SMTP server (aiosmtpd) on loopback.

See docs/plugins.md for a walk-through.
"""
