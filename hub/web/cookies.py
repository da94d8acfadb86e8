"""The hub's cookies: one rule for their ``Secure`` flag.

Every cookie the hub sets (the console's session and CSRF cookies, the
buyer's ``/my`` session and CSRF cookies, the download-session cookie) is
``Secure`` when the browser reached the hub over https: an https
``HUB_PUBLIC_URL``, or a request whose scheme is https, which behind a
reverse proxy is the trusted proxy's ``X-Forwarded-Proto``
(:class:`hub.client_ip.ForwardedClientMiddleware` sets it in the scope; a
forwarded header from an untrusted peer is ignored).
"""

from __future__ import annotations

from litestar.types import Scope


def cookies_secure(scope: Scope, public_url: str) -> bool:
    """Whether a cookie set in answer to the request of ``scope`` gets ``Secure``."""
    return scope.get("scheme") in ("https", "wss") or public_url.startswith("https://")


__all__ = ["cookies_secure"]
