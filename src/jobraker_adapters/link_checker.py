"""The ``LinkChecker`` port over the shared httpx client, with SSRF protection.

Apply links come from job sources, i.e. from strangers, and the worker that checks them may sit
next to Redis, PostgreSQL or a cloud metadata service. So before each request (the first and
every redirect hop, followed by hand, at most ``max_redirects``) the host is resolved and the
check is refused unless *every* address is a public unicast one: loopback, private, link-local
(169.254.0.0/16, fe80::/10, so cloud metadata), shared (100.64.0.0/10), multicast, reserved and
unspecified addresses are refused, IPv4-mapped IPv6 included. The request then goes to the
address that was checked (the URL carries the IP; ``Host`` and TLS SNI/verification carry the
name), so a DNS answer that changes between the check and the connection (DNS rebinding) cannot
redirect it. Only ``http``/``https`` on any port are followed; credentials in URLs are refused.

``HEAD`` first; a server that refuses HEAD (405/501) gets a ``GET`` whose body is not read. 404
and 410, or a host name that does not exist, prove a link dead; 2xx proves it alive; anything else
(5xx, 403, timeouts, too many redirects) proves nothing and raises no flag.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Final
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from jobraker_core.moderation.model import LinkStatus

DEAD_STATUSES: Final = frozenset({404, 410})
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_SHARED: Final = ipaddress.ip_network("100.64.0.0/10")
Resolver = Callable[[str, int], Sequence[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (``socket.gaierror`` when it does not)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def is_public(address: str) -> bool:
    """Whether ``address`` is a public unicast address a check may contact."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED:
        return False
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


class HttpLinkChecker:
    """Checks apply links with ``HEAD``/``GET`` through ``http``, refusing non-public targets.

    ``resolver`` turns a host into addresses (tests pass a table); ``allowed_networks`` lets tests
    reach a fake server on loopback (never set in production).
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        resolver: Resolver = resolve,
        max_redirects: int = 5,
        allowed_networks: Sequence[str] = (),
    ) -> None:
        """Use ``http`` (no redirect following) and ``resolver``."""
        self._http = http
        self._resolve = resolver
        self._max_redirects = max_redirects
        self._allowed = [ipaddress.ip_network(n) for n in allowed_networks]

    def _allowed_address(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        return is_public(address) or any(ip in network for network in self._allowed)

    def check(self, url: str) -> LinkStatus:  # noqa: PLR0911 - one return per outcome
        """Check ``url``, following redirects by hand and checking every hop's addresses."""
        current = url
        for _ in range(self._max_redirects + 1):
            parts = urlsplit(current)
            host = parts.hostname
            if parts.scheme not in {"http", "https"} or not host:
                return LinkStatus(url, dead=False, reason="not an http(s) URL", refused=True)
            if parts.username or parts.password:
                return LinkStatus(url, dead=False, reason="credentials in the URL", refused=True)
            try:
                port = parts.port or (443 if parts.scheme == "https" else 80)
            except ValueError:
                return LinkStatus(url, dead=False, reason="bad port", refused=True)
            try:
                addresses = list(self._resolve(host, port))
            except (socket.gaierror, UnicodeError):
                return LinkStatus(url, dead=True, reason=f"host {host} does not exist")
            if not addresses or not all(self._allowed_address(a) for a in addresses):
                return LinkStatus(
                    url, dead=False, reason=f"{host} is not a public address", refused=True
                )
            outcome = self._request(current, parts.scheme, host, port, addresses[0])
            if isinstance(outcome, LinkStatus):
                return LinkStatus(
                    url, outcome.dead, outcome.status_code, outcome.reason, outcome.refused
                )
            current = urljoin(current, outcome)
        return LinkStatus(url, dead=False, reason="too many redirects")

    def _request(
        self, url: str, scheme: str, host: str, port: int, address: str
    ) -> LinkStatus | str:
        """One hop to the checked address: the verdict, or the redirect's target."""
        parts = urlsplit(url)
        literal = f"[{address}]" if ":" in address else address
        netloc = literal if parts.port is None else f"{literal}:{port}"
        pinned = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
        headers = {"Host": host if parts.port is None else f"{host}:{port}"}
        extensions = {"sni_hostname": host} if scheme == "https" else {}
        try:
            response = self._http.request("HEAD", pinned, headers=headers, extensions=extensions)
            if response.status_code in {405, 501}:
                with self._http.stream(
                    "GET", pinned, headers=headers, extensions=extensions
                ) as streamed:
                    response = streamed
        except httpx.TimeoutException:
            return LinkStatus(url, dead=False, reason="timed out")
        except httpx.HTTPError as error:
            return LinkStatus(url, dead=False, reason=f"unreachable ({type(error).__name__})")
        status = response.status_code
        location = response.headers.get("Location")
        if status in _REDIRECTS and location:
            return str(location)
        if status in DEAD_STATUSES:
            return LinkStatus(url, dead=True, status_code=status, reason=f"HTTP {status}")
        return LinkStatus(url, dead=False, status_code=status, reason=f"HTTP {status}")
