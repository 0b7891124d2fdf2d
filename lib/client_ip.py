"""The visitor's IP address, the one every per-address limit and lockout counts.

A forwarded header (CLIENT_IP_HEADER, e.g. HTTP_X_REAL_IP) is believed only when the
request came straight from a proxy named in TRUSTED_PROXIES: anyone who reaches the
application server directly could otherwise write any address there and dodge every
per-address limit. A value that is not an IP address is ignored, never passed on:
the login throttle stores it in an inet column, and junk there was a 500.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def trusted_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    """TRUSTED_PROXIES as networks; a bare address is a network of one."""
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies)


def parse_ip(value: str | None) -> str | None:
    """The address in canonical form, or None for anything that is not one."""
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(address)


def is_trusted_proxy(peer: str | None) -> bool:
    if peer is None or not settings.TRUSTED_PROXIES:
        return False
    address = ipaddress.ip_address(peer)
    networks = trusted_networks(tuple(settings.TRUSTED_PROXIES))
    return any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the proxy's header when a trusted proxy sent the request.

    Of the header only the last value counts (the one the proxy itself wrote); a
    malformed one falls back to the peer's address, which is then the proxy's.
    """
    peer = parse_ip(request.META.get("REMOTE_ADDR"))
    if settings.CLIENT_IP_HEADER and is_trusted_proxy(peer):
        forwarded = request.META.get(settings.CLIENT_IP_HEADER, "")
        if forwarded_ip := parse_ip(forwarded.split(",")[-1]):
            return forwarded_ip
    return peer
