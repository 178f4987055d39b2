"""Where webhooks may go: https to public addresses only, so that a department key cannot make
the service call into its own network (SSRF). Checked when an endpoint is registered or
changed, and again before each delivery with the address then used pinned for the request, so a
name that later resolves to a private address (DNS rebinding) is refused too. Test mode admits
loopback receivers (`http://127.0.0.1:<port>`)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

from service.errors import InvalidInput

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressNotAllowed(Exception):
    """The URL or the address it resolves to may not receive webhooks."""


@dataclass(frozen=True)
class Target:
    """A checked URL and the address the request is to be sent to."""

    url: httpx.URL
    address: IpAddress


def _allowed(address: IpAddress, *, allow_loopback: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return allow_loopback
    return address.is_global and not address.is_multicast


def _parse(url: str, *, allow_loopback: bool) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise AddressNotAllowed(f"not a URL: {exc}") from exc
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise AddressNotAllowed("the URL must be https://host/…")
    if parsed.userinfo:
        raise AddressNotAllowed("the URL must not carry credentials")
    if parsed.scheme == "http" and not allow_loopback:
        raise AddressNotAllowed("webhooks are delivered over https only")
    return parsed


async def _resolve(host: str, port: int) -> list[IpAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise AddressNotAllowed(f"{host} does not resolve") from exc
    # A scoped IPv6 address carries "%zone"; the zone does not change what the address is.
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def check(url: str, *, allow_loopback: bool) -> Target:
    """The URL, if it may receive webhooks, with the address to send to; else AddressNotAllowed.
    Every address the name resolves to must be allowed, not just the first."""
    parsed = _parse(url, allow_loopback=allow_loopback)
    addresses = await _resolve(
        parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80)
    )
    if not addresses:
        raise AddressNotAllowed(f"{parsed.host} does not resolve")
    refused = [a for a in addresses if not _allowed(a, allow_loopback=allow_loopback)]
    if refused:
        raise AddressNotAllowed(
            f"{parsed.host} is or resolves to a non-public address {refused[0]}"
        )
    if parsed.scheme == "http" and not all(a.is_loopback for a in addresses):
        raise AddressNotAllowed("plain http is allowed for loopback test receivers only")
    return Target(url=parsed, address=addresses[0])


async def validate(url: str, *, allow_loopback: bool) -> str:
    """`check` for the API: a refused URL is a 422 with a stable code."""
    try:
        await check(url, allow_loopback=allow_loopback)
    except AddressNotAllowed as exc:
        raise InvalidInput("webhook.url_not_allowed", str(exc), url=url) from exc
    return url


def pinned(target: Target) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """The URL with its host replaced by the checked address, the Host header and the TLS name,
    so the request goes where the check looked and the certificate is still checked against the
    name."""
    host = target.url.host
    if host == str(target.address):
        return target.url, {}, {}
    port = target.url.port
    authority = host if port is None else f"{host}:{port}"
    return (
        target.url.copy_with(host=str(target.address)),
        {"host": authority},
        {"sni_hostname": host},
    )
