"""The client's IP address: the one answer every part of the hub uses.

Behind a reverse proxy or a load balancer, the TCP peer is the proxy, and
the buyer's address is in ``X-Forwarded-For``. That header is believed only
when the peer is one of ``HUB_TRUSTED_PROXIES`` (addresses or networks;
loopback by default), and then only up to the first hop that is not trusted:
anything to its left was written by the client and may be forged. The
same trusted peer's ``X-Forwarded-Proto`` tells the scheme the client used
(https at the proxy, say), which decides the cookies' ``Secure`` flag
(:mod:`hub.web.cookies`); from any other peer it is ignored.

:class:`ForwardedClientMiddleware` applies the rule once per request and
rewrites the ASGI scope's ``client``, so :func:`client_ip`, the download
sessions, the sign-in limits, the reports and the server's access log all
see the same address. ``serve`` turns uvicorn's own proxy handling off:
this is the one place forwarded headers are read.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from litestar import Request
from litestar.types import ASGIApp, Receive, Scope, Send

Network = IPv4Network | IPv6Network

DEFAULT_TRUSTED_PROXIES = "127.0.0.1, ::1"


class TrustedProxiesError(ValueError):
    """``HUB_TRUSTED_PROXIES`` holds something that is not an address or network."""


def parse_networks(raw: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 192.0.2.7, ::1"`` → networks (an address is a /32 or /128)."""
    networks = []
    for item in raw.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError:
            raise TrustedProxiesError(
                f"HUB_TRUSTED_PROXIES: {item!r} is not an IP address or network (such as 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _address(hop: str) -> str | None:
    """One ``X-Forwarded-For`` entry as an address, or None when it is not one."""
    hop = hop.strip()
    if hop.startswith("[") and "]" in hop:  # [2001:db8::1]:443
        hop = hop[1 : hop.index("]")]
    elif hop.count(":") == 1:  # 192.0.2.1:443
        hop = hop.split(":", 1)[0]
    try:
        return str(ip_address(hop))
    except ValueError:
        return None


def forwarded_client(peer: str, forwarded_for: list[str], trusted: tuple[Network, ...]) -> str:
    """The client's address: ``peer`` itself unless it is a trusted proxy;
    then the rightmost ``X-Forwarded-For`` hop that is not a trusted proxy
    (or the leftmost, when every hop is one). A hop that is not an address
    ends the walk at the last address known good."""
    if not forwarded_for or not _trusted(peer, trusted):
        return peer
    hops = [hop for header in forwarded_for for hop in header.split(",")]
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        client = address
        if not _trusted(address, trusted):
            break
    return client


def forwarded_scheme(peer: str, forwarded_proto: list[str], trusted: tuple[Network, ...]) -> str | None:
    """The scheme the client used, from ``X-Forwarded-Proto``: only when
    ``peer`` is a trusted proxy, and then its rightmost value (the one the
    proxy that talks to us wrote); None when there is nothing to believe."""
    if not forwarded_proto or not _trusted(peer, trusted):
        return None
    value = forwarded_proto[-1].split(",")[-1].strip().lower()
    return value if value in ("http", "https") else None


class ForwardedClientMiddleware:
    """Rewrites ``scope["client"]`` to the forwarded client, and
    ``scope["scheme"]`` to the forwarded scheme (see the module)."""

    def __init__(self, app: ASGIApp, trusted: tuple[Network, ...]) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if scope["type"] in ("http", "websocket") and peer:
            host, port = peer
            proto = [v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-proto"]
            scheme = forwarded_scheme(host, proto, self.trusted)
            if scheme is not None:
                # The cookies' Secure flag follows it (hub.web.cookies).
                scope["scheme"] = scheme if scope["type"] == "http" else {"http": "ws", "https": "wss"}[scheme]
            forwarded = [v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-for"]
            if forwarded:
                client = forwarded_client(host, forwarded, self.trusted)
                if client != host:
                    # In place: the server's access log reads this same scope.
                    scope["client"] = (client, 0)
        await self.app(scope, receive, send)


def address_block(address: str, *, ipv4_bits: int, ipv6_bits: int) -> str | None:
    """The network of ``address`` with a prefix of ``ipv4_bits`` or
    ``ipv6_bits`` (``203.0.113.0/24``); a whole-length prefix is the address
    itself. An IPv4-mapped IPv6 address counts as its IPv4 address; None
    when ``address`` is no address. What the per-address limits count
    (:func:`rate_limit_key`) and what the privacy rules keep
    (:func:`hub.services.privacy.truncated_ip`)."""
    try:
        ip = ip_address(address)
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    bits = ipv4_bits if ip.version == 4 else ipv6_bits
    return str(ip) if bits == ip.max_prefixlen else str(ip_network(f"{ip}/{bits}", strict=False))


def rate_limit_key(address: str) -> str:
    """What a per-address limit counts ``address`` under: an IPv4 address
    itself, an IPv6 address's /64 network (one subscriber's or one server's
    prefix: a single host may use every address in it, so counting whole
    addresses would give it 2**64 fresh limits). An IPv4-mapped IPv6 address
    counts as its IPv4 address; something that is no address, as itself."""
    return address_block(address, ipv4_bits=32, ipv6_bits=64) or address


def client_ip(request: Request) -> str:
    """The client's IP address (after :class:`ForwardedClientMiddleware`)."""
    client = request.client
    return client.host if client else ""
