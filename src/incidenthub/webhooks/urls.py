"""Which receiver URLs may be called: http(s) only, and never an internal address (server-side request forgery)
unless the operator allows its network (`INCIDENTHUB_WEBHOOK_ALLOWED_NETWORKS`).

Checked when an endpoint is made or changed, and again before each delivery on the addresses the name resolves
to then; the delivery connects to the address that was checked, so a name cannot change in between.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class UrlRefused(ValueError):
    """A URL no delivery may go to; the message says why."""


def allowed_networks(setting: str) -> tuple[Network, ...]:
    """The networks of the setting (comma-separated CIDRs); ValueError naming a bad one."""
    networks = []
    for part in setting.split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise ValueError(f"INCIDENTHUB_WEBHOOK_ALLOWED_NETWORKS: {part.strip()!r} is not a CIDR") from None
    return tuple(networks)


def _internal(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _internal(address.ipv4_mapped)
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or not address.is_global
    )


def check_address(address: IPAddress, allowed: Sequence[Network]) -> None:
    """UrlRefused unless the address is public or inside an allowed network."""
    if _internal(address) and not any(address in network for network in allowed):
        raise UrlRefused(
            f"{address} is an internal address (loopback, private, link-local, multicast or reserved); "
            "the operator may allow its network with INCIDENTHUB_WEBHOOK_ALLOWED_NETWORKS"
        )


def parse(url: str) -> SplitResult:
    """The URL's parts; UrlRefused unless it is an absolute http or https URL with a host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as error:
        raise UrlRefused(f"not a URL: {error}") from None
    if parts.scheme not in ("http", "https"):
        raise UrlRefused("only http and https URLs can receive webhooks")
    if not parts.hostname:
        raise UrlRefused("the URL has no host")
    if parts.username or parts.password:
        raise UrlRefused("credentials in the URL are not allowed")
    return parts


@dataclass(frozen=True)
class Target:
    """Where one delivery goes: the URL, the checked address to connect to, the name to send as Host/SNI."""

    url: str
    address: IPAddress
    hostname: str
    port: int


def resolve(url: str, allowed: Sequence[Network]) -> Target:
    """Resolve the URL's host and check every address it has; UrlRefused if one is internal and not allowed."""
    parts = parse(url)
    hostname = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        literal: IPAddress | None = ipaddress.ip_address(hostname)
    except ValueError:
        literal = None
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise UrlRefused(f"the host {hostname!r} does not resolve: {error}") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise UrlRefused(f"the host {hostname!r} does not resolve")
    for address in addresses:
        check_address(address, allowed)
    return Target(url=url, address=addresses[0], hostname=hostname, port=port)


def pinned(target: Target) -> str:
    """The URL with its host replaced by the checked address (the original name goes in Host and SNI)."""
    parts = urlsplit(target.url)
    host = f"[{target.address}]" if target.address.version == 6 else str(target.address)
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl()
