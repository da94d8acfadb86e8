"""Where the hub may send requests for a shop: public http(s) addresses only.

Webhook endpoint URLs come from API keys, so without a check a key could
make the hub call its own admin ports, the cloud's metadata service
(169.254.169.254) or the private network (server-side request forgery).
URLs are checked when an endpoint is saved (literal addresses, and names as
they resolve then) and again before every delivery, after resolving the
name; the delivery then connects to the address that was checked, so a name
that changes its answer in between (DNS rebinding) gains nothing.
``HUB_WEBHOOKS_ALLOW_PRIVATE=true`` turns the address check off (tests,
private networks).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from hub.errors import Invalid


class RefusedAddress(Exception):
    """The URL points at an address the hub must not call."""


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local)


def check_url_form(url: str, field: str = "url") -> tuple[str, str, int]:
    """``(scheme, host, port)`` of an http(s) URL, or :class:`Invalid`."""
    if not isinstance(url, str) or not url or len(url) > 2000 or any(c.isspace() or ord(c) < 32 for c in url):
        raise Invalid(f"{field} must be an http:// or https:// URL (at most 2000 characters)", field=field)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Invalid(f"{field} is not a valid URL", field=field) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise Invalid(f"{field} must be an http:// or https:// URL with a host", field=field)
    if parts.username or parts.password:
        raise Invalid(f"{field} must not contain credentials", field=field)
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (a literal address resolves to itself)."""
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def public_address(host: str, port: int) -> str:
    """The address to connect to for ``host``: every address it resolves to
    must be public, else :class:`RefusedAddress` (one private answer among
    public ones is how rebinding attacks hide)."""
    try:
        addresses = await resolve(host, port)
    except (OSError, UnicodeError) as problem:
        raise RefusedAddress(f"cannot resolve {host}: {problem}") from None
    refused = [a for a in addresses if not is_public(a)]
    if not addresses or refused:
        raise RefusedAddress(
            f"{host} resolves to {', '.join(refused) or 'nothing'}: loopback, private and link-local "
            "addresses are refused (HUB_WEBHOOKS_ALLOW_PRIVATE=true allows them)"
        )
    return addresses[0]


async def check_endpoint_url(url: str, *, allow_private: bool, field: str = "url") -> str:
    """Check an endpoint URL when it is saved: http(s), and unless private
    addresses are allowed, no literal or resolved private address. A name
    that does not resolve yet is accepted (it is checked again at delivery)."""
    _, host, port = check_url_form(url, field)
    if allow_private:
        return url
    try:
        addresses = await resolve(host, port)
    except UnicodeError:
        raise Invalid(f"{field} has a host name that is not valid", field=field) from None
    except OSError:
        return url
    refused = [a for a in addresses if not is_public(a)]
    if refused:
        raise Invalid(
            f"{field} points at {', '.join(refused)}: loopback, private and link-local addresses are refused",
            field=field,
        )
    return url
