"""Which URLs the bot may fetch: http(s) only, and never the machine's own network.

A watched URL is typed by a chat user, so without this check anyone in a channel
could make the bot read its cloud metadata service or an intranet page. Every
hop of a redirect chain is checked again. Hosts or networks listed in
`allow_hosts` are let through (tests on 127.0.0.1, on-premise news servers).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Cloud metadata endpoints; most are link-local anyway, named here for a clearer message.
_METADATA = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
    ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
}
_METADATA_NAMES = {"metadata.google.internal", "metadata"}


class UnsafeURL(ValueError):
    """The URL may not be fetched; the message says why in words a user can act on."""


@dataclass(frozen=True)
class AllowList:
    """Hosts and networks exempt from the private-address rule."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """Entries are host names ("news.intranet"), addresses or CIDRs ("10.0.0.0/8")."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip().lower()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def allows_ip(self, ip: IPAddress) -> bool:
        return any(ip in net for net in self.networks if net.version == ip.version)


def why_blocked(ip: IPAddress) -> str | None:
    """The kind of non-public address `ip` is, or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in _METADATA:
        return "a cloud metadata service address"
    if ip.is_loopback:
        return "a loopback address (this machine)"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_private:
        return "a private network address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "not a public internet address"
    return None


def check_url(url: str, allow: AllowList = AllowList()) -> tuple[str, int]:
    """Refuse what can be judged without DNS: scheme, missing host, literal bad addresses.

    Returns (host, port) for the resolution step.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"'{scheme}:'" if scheme else "no scheme"
        raise UnsafeURL(f"refused {url}: only http and https URLs can be watched ({shown} given)")
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeURL(f"refused {url}: the URL has no host")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURL(f"refused {url}: invalid port ({exc})") from None
    if parts.username or parts.password:
        raise UnsafeURL(f"refused {url}: URLs with a user name or password are not watched")
    if allow.allows_host(host):
        return host, port
    if host in _METADATA_NAMES:
        raise UnsafeURL(f"refused {url}: {host} is a cloud metadata service")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return host, port
    _check_ip(url, host, literal, allow)
    return host, port


def _check_ip(url: str, host: str, ip: IPAddress, allow: AllowList) -> None:
    if allow.allows_ip(ip):
        return
    reason = why_blocked(ip)
    if reason:
        via = "" if host == str(ip) else f" resolves to {ip}, which is"
        subject = f"{host}{via}" if via else f"{host} is"
        raise UnsafeURL(
            f"refused {url}: {subject} {reason}; the bot does not fetch from private "
            "networks (an administrator can allow a host with CLAIMWATCH_ALLOW_HOSTS)"
        )


async def ensure_public(url: str, allow: AllowList = AllowList()) -> None:
    """Check the URL and every address its host resolves to; raise UnsafeURL if any is bad.

    All addresses are checked, not just the first, because the HTTP client may pick any.
    """
    host, port = check_url(url, allow)
    if allow.allows_host(host):
        return
    try:
        ipaddress.ip_address(host)
        return  # a literal address, already judged by check_url
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        detail = exc.strerror or str(exc)
        raise UnsafeURL(f"refused {url}: cannot resolve host {host} ({detail})") from None
    for *_, sockaddr in infos:
        _check_ip(url, host, ipaddress.ip_address(sockaddr[0].split("%", 1)[0]), allow)
