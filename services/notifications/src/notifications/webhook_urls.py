"""Where webhooks may go: http(s) while developing; production only https, to public addresses.

At subscription the URL's host is resolved and vetted (a clear 422). At delivery the host is
resolved once more, every address vetted, and the connection made to a vetted address
(`PinnedBackend`): a name that answers a public address to the check and a private one to the
connection (DNS rebinding) cannot steer a delivery inside. TLS still verifies the certificate
against the URL's host name (SNI), and the Host header stays the URL's.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from attendance_common.auth import Principal, Role
from attendance_common.errors import Unprocessable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# IPv6 forms that carry an IPv4 address in their last 32 bits (or, for 6to4, bits 16-48): judged
# by the IPv4 inside, as that is where the packets end up.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: the operator's own translators
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated, still routed by some stacks


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, NAT64, 6to4 or IPv4-compatible IPv6 address."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or address in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: str | IPAddress) -> bool:
    """Globally reachable unicast, judging an IPv6 address that embeds an IPv4 one by the latter."""
    ip = ipaddress.ip_address(str(address).split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return False
        inner = embedded_ipv4(ip)
        if inner is not None:
            return is_public(inner)
    return ip.is_global and not ip.is_multicast


def refuse_unless_public(host: str, addresses: Iterable[str]) -> None:
    for address in addresses:
        if not is_public(address):
            raise Unprocessable("bad_webhook_url", f"{host} is not a public address")


def check_url(url: str, *, production: bool, allow_private: bool = False) -> None:
    """http(s) only; production: https, and to public addresses only unless `allow_private`.

    Resolves the host (blocking): call it off the event loop.
    """
    parts = check_scheme(url, production=production)
    if not production or allow_private:
        return
    assert parts.hostname is not None
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except (OSError, UnicodeError, ValueError) as error:
        raise Unprocessable("bad_webhook_url", f"cannot resolve {parts.hostname}") from error
    refuse_unless_public(parts.hostname, addresses)


def check_scheme(url: str, *, production: bool) -> Any:
    """The URL's parts, if it is absolute http(s) (https in production); no resolution."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Unprocessable("bad_webhook_url", "the webhook URL must be an absolute http(s) URL")
    if production and parts.scheme != "https":
        raise Unprocessable("bad_webhook_url", "webhook URLs must use https")
    return parts


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Resolves a host once per connection, vets every address it answers (when `vet`), and
    connects to those addresses, never to the name: nothing resolves it a second time."""

    def __init__(self, *, vet: bool, network: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.vet = vet
        self.network = network or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve(host, port)
        if self.vet:
            refuse_unless_public(host, addresses)
        error: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in addresses:
            try:
                return await self.network.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as failed:
                error = failed
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks go over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self.network.sleep(seconds)


async def resolve(host: str, port: int) -> list[str]:
    """The host's addresses, in the resolver's order, once."""
    try:
        answers = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
    return list(dict.fromkeys(str(info[4][0]) for info in answers))


def pinned_client(
    *,
    vet: bool,
    timeout: float,
    verify: ssl.SSLContext | bool = True,
    network: httpcore.AsyncNetworkBackend | None = None,
) -> httpx.AsyncClient:
    """An httpx client whose connections go through `PinnedBackend`; no proxies from the
    environment (a proxy would resolve the name itself) and no redirects followed."""
    transport = httpx.AsyncHTTPTransport(verify=verify, trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(  # the transport takes no network backend itself
        ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
        network_backend=PinnedBackend(vet=vet, network=network),
    )
    return httpx.AsyncClient(transport=transport, timeout=timeout, trust_env=False, follow_redirects=False)


def shown_url(url: str, principal: Principal, la_code: str | None) -> str:
    """A webhook URL as `principal` may see it: whole for admins and the officers of the LA it
    belongs to (it may hold that LA's token in its path or query); to anyone else only where it
    goes, `scheme://host[:port]/***`."""
    if principal.is_admin or (principal.role == Role.LA_OFFICER and principal.la == la_code):
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/***"
