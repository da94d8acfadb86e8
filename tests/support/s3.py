"""An in-process moto S3 server for tests that need real HTTP.

moto's ``mock_aws`` patches botocore in-process and never opens a socket, so
it cannot exercise aiobotocore's aiohttp transport or presigned URLs fetched
by another HTTP client. ``ThreadedMotoServer`` serves the same fake backends
over HTTP from a daemon thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from moto.moto_server.werkzeug_app import MotoRequestHandler
from moto.server import ThreadedMotoServer
from werkzeug.serving import BaseWSGIServer

__all__ = ["moto_s3_server"]


class _OneServerHeaderHandler(MotoRequestHandler):
    """Leave the ``Server`` header to moto.

    werkzeug always sends ``Server: Werkzeug/...`` and some moto responses
    (CreateBucket) add ``Server: amazon.com``. aiohttp's response parser turns
    strict in asyncio debug mode (``PYTHONASYNCIODEBUG=1`` or ``python -X dev``)
    and rejects the duplicate, which would break every S3 test exactly when
    someone is debugging.
    """

    def send_response(self, code: int, message: str | None = None) -> None:
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())


@contextmanager
def moto_s3_server() -> Iterator[str]:
    """Run a moto server on 127.0.0.1 and yield its endpoint URL.

    Port 0 lets the OS pick a free port (werkzeug binds it inside ``start()``
    and ``get_host_and_port()`` reports the real one), so parallel test runs
    never collide. The address is an IP on purpose: botocore's "auto"
    addressing then uses path-style URLs instead of ``<bucket>.localhost``.
    Start it once per test session; all fake AWS state lives in this process,
    and ``POST <endpoint>/moto-api/reset`` wipes it.
    """
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        # No public hook for the handler class; no request has been served
        # yet, so swapping it now is safe. If moto renames the attribute we
        # merely lose the debug-mode fix.
        wsgi_server = getattr(server, "_server", None)
        if isinstance(wsgi_server, BaseWSGIServer):
            wsgi_server.RequestHandlerClass = _OneServerHeaderHandler
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
