"""The client address the hub's per-client limits count against.

By default it is the TCP peer: an ``X-Forwarded-For`` header is something any client can
write, so trusting it would let anyone pick a fresh address for every request and slip past
the login and conversation throttles (or charge them to someone else). Only when the peer is
a configured trusted proxy (``HUB_TRUSTED_PROXIES``, networks in CIDR form) is the header
read, from the right: the first address that is not itself a trusted proxy is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from aiohttp import web

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


def parse_networks(raw: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Networks from strings such as ``10.0.0.0/8`` or ``127.0.0.1``.

    Raises:
        ValueError: A value that is not an IP address or network.
    """
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in raw if item.strip())


def _trusted(address: str, proxies: Sequence[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(request: web.BaseRequest | None, proxies: Sequence[IPNetwork]) -> str:
    """The client's address: the peer, or what a trusted proxy says the client was."""
    if request is None:
        return UNKNOWN
    peer = request.remote or UNKNOWN
    if not proxies or not _trusted(peer, proxies):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getall("X-Forwarded-For", [])
        for hop in header.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a proxy passed on garbage: count it against the proxy
    return peer
