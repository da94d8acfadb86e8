"""Helpers for testing the hub and its plugins, shipped with the hub
(``pip install 'continuata-hub[testing]'`` brings pytest, pytest-asyncio
and aiosmtpd with them).

- :func:`hub.testing.app.make_app` / :func:`~hub.testing.app.hub_client`:
  an app with the plugins you choose, running in your test's event loop,
  and an HTTP client for it; :func:`~hub.testing.app.settings_for_tests`
  and :func:`~hub.testing.app.make_org` (an organization and its key).
- :func:`hub.testing.products.ready_product`: a product with a ready
  version, made through the API.
- :class:`hub.testing.mailbox.CapturedMailbox`: a mailer plugin that keeps
  what the hub sends.
- :func:`hub.testing.events.events_settled`: wait until the worker has
  called the event hooks.
- :mod:`hub.testing.stripe`, :mod:`hub.testing.paypal`: webhook requests
  signed exactly as Stripe and PayPal sign them.
- :mod:`hub.testing.smtp`: a real SMTP server (aiosmtpd) on loopback.
- :mod:`hub.testing.pytest_plugin`: the pytest plugin that filters the
  warnings of the hub's dependencies out of a plugin's test run.

See docs/plugins.md, "Test it with the helpers the hub ships".
"""
