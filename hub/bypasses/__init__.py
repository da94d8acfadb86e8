"""Where the hub steps around its frameworks, and the one reason it does.

The hub's hottest requests cost more in framework machinery than in their
own work: a download page is one indexed query and one template, a mint one
conditional insert, a file body a copy the kernel can make alone. Each
module here answers one such case itself, with the very code the framework
path runs, and leaves everything else to the framework untouched:

- :mod:`~hub.bypasses.page_lane` answers ``GET /download?token=…`` (a
  valid token with downloads left) before Litestar's router, middleware,
  signature models and ``Response`` (several times the page's own cost);
- :mod:`~hub.bypasses.mint_lane` answers the two minting endpoints
  (``POST /api/products/{id}/tokens``, ``POST /api/generate-download-url``)
  the same way (about a third of a mint's time);
- :mod:`~hub.bypasses.sendfile_server` subclasses uvicorn's httptools and
  h11 protocols (private classes: ``RequestResponseCycle``,
  ``HttpToolsProtocol``, ``H11Protocol``) to add zero-copy file bodies
  (``http.response.pathsend``, ``hub.sendfile``), which uvicorn lacks.

The rule they share: the bypass sends the same bytes as the framework path
(the routed handlers stay the documented ones, in the OpenAPI schema), and
anything it does not fully handle, an error included, goes on to the
framework as if the bypass were not there. The tests run both paths.

The hazard they carry is upgrades: the lanes read ASGI scopes and replay
bodies by hand, so a Litestar change in routing, middleware or error
shapes is not followed by them automatically (``tests/test_page_lane.py``,
``tests/test_mint_lane.py`` compare both paths byte for byte); the sendfile
protocols depend on uvicorn internals that may change in any release
(``pyproject.toml`` pins uvicorn below 0.60; ``tests/test_sendfile_server.py``).
``HUB_FAST_LANES=off`` (:attr:`hub.settings.Settings.fast_lanes`) turns
them all off: every request goes through Litestar's routed path, and
``serve`` runs uvicorn's plain protocols (file bodies then stream in 1 MiB
chunks). It is the way out when an upgrade breaks a bypass.

One bypass remains elsewhere: the piccolo engine subclasses in
:mod:`hub.db.engines` (:class:`~hub.db.engines.PooledSQLiteEngine`,
:class:`~hub.db.engines.QuietPostgresEngine`) override piccolo's engine
internals, with the same upgrade hazard (``pyproject.toml`` pins piccolo
below 2); they move with the database runtime in a later step, and
``HUB_FAST_LANES`` does not turn them off.
"""
