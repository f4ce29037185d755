"""The client's address as rate limits see it, trusting X-Forwarded-For only from our own proxies."""

from functools import lru_cache
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from fastapi import Request

Address = IPv4Address | IPv6Address


@lru_cache(maxsize=16)
def _networks(cidrs: tuple[str, ...]) -> tuple:
    return tuple(ip_network(c, strict=False) for c in cidrs)


def _parse(raw: str) -> Address | None:
    try:
        addr = ip_address(raw.strip())
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; compare them as IPv4.
    if isinstance(addr, IPv6Address) and addr.ipv4_mapped:
        return addr.ipv4_mapped
    return addr


def _trusted(addr: Address, networks: tuple) -> bool:
    return any(addr in net for net in networks)


def client_ip(request: Request) -> str:
    """The direct peer, or when it is a trusted proxy the right-most forwarded address that is not."""
    peer = _parse(request.client.host) if request.client else None
    if peer is None:
        return "unknown"
    networks = _networks(tuple(request.app.state.settings.trusted_proxies))
    current = peer
    # Walk right to left: each hop is believed only if the hop that reported it is one of ours,
    # since anything further left may have been written by the client itself.
    hops = ",".join(request.headers.getlist("x-forwarded-for")).split(",")
    for raw in reversed(hops):
        if not _trusted(current, networks) or not raw.strip():
            break
        forwarded = _parse(raw)
        if forwarded is None:
            break
        current = forwarded
    return str(current)


def ip_key(ip: str) -> str:
    """The identity an address is limited under: IPv6 clients by their /64 (one subscriber's prefix)."""
    addr = _parse(ip)
    if isinstance(addr, IPv6Address):
        return str(ip_network(f"{addr}/64", strict=False))
    return ip
