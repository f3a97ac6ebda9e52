"""Client IP resolution (REST.md §1.7): peer address, or proxy headers from a trusted peer."""

from __future__ import annotations

import ipaddress
from typing import Mapping, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def resolve_client_ip(peer: str | None, headers: Mapping[str, str], trusted: Sequence[Network]) -> str | None:
    """The client IP, or None when it cannot be determined."""
    peer_ip = _parse_ip(peer) if peer else None
    if peer_ip is None:
        return None
    if not any(ipaddress.ip_address(peer_ip) in net for net in trusted):
        return peer_ip
    cf = headers.get("CF-Connecting-IP")
    if cf is not None and len(cf) <= 64:
        ip = _parse_ip(cf)
        if ip:
            return ip
    xff = headers.get("X-Forwarded-For")
    if xff is not None and len(xff) <= 512:
        first = xff.split(",")[0].strip()
        if len(first) <= 64:
            ip = _parse_ip(first)
            if ip:
                return ip
    return None


def ip_in_network(ip: str | None, network: str) -> bool:
    if ip is None:
        return False
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def host_network(ip: str) -> str:
    addr = ipaddress.ip_address(ip)
    return f"{addr}/{32 if addr.version == 4 else 128}"
