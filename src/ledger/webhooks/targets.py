"""Where a webhook may be delivered: the URL's form and, once its host is resolved, the
addresses it may reach.

Receivers are outside systems. A URL that resolves to a private, loopback, link-local,
multicast, reserved or unspecified address would let whoever creates a subscription make
the server call into the plant's own network (SSRF), so such a target is refused unless
the operator allows it (``MIMS_WEBHOOKS_ALLOW_PRIVATE``). The check runs when a
subscription is created and again before each delivery (a name may resolve elsewhere by
then: DNS rebinding). Plain ``http`` is refused unless allowed (``MIMS_WEBHOOKS_ALLOW_HTTP``).

Pure functions and the standard library's resolver: the ledger reads no configuration,
the caller passes the policy.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from ledger.errors import LedgerError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_LENGTH = 2048


class WebhookTargetRefused(LedgerError):
    """The webhook's URL is malformed, not https, or reaches an address that outside
    receivers never have (private, loopback, link-local, multicast, reserved) while the
    server does not allow them."""

    type = "webhook-target-refused"
    title = "Webhook target refused"
    kind = "invalid"


@dataclass(frozen=True)
class TargetPolicy:
    """What the operator allows beyond public https receivers."""

    allow_private: bool = False
    allow_http: bool = False


def host_of(url: str, policy: TargetPolicy) -> tuple[str, int]:
    """The URL's host and port, or `WebhookTargetRefused` for a URL no receiver has."""
    if len(url) > MAX_URL_LENGTH or url != url.strip():
        raise WebhookTargetRefused("the URL is too long or has spaces around it", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise WebhookTargetRefused(f"the URL is malformed: {e}", field="url") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise WebhookTargetRefused("a webhook URL is https://...", field="url", scheme=scheme)
    if scheme == "http" and not policy.allow_http:
        raise WebhookTargetRefused(
            "plain http is refused: use https (or allow it with MIMS_WEBHOOKS_ALLOW_HTTP)",
            field="url",
            scheme=scheme,
        )
    if not parts.hostname:
        raise WebhookTargetRefused("the URL names no host", field="url")
    if parts.username is not None or parts.password is not None:
        # Credentials in a URL end up in logs; receivers verify the signature instead.
        raise WebhookTargetRefused("a webhook URL carries no user name or password", field="url")
    if parts.fragment:
        raise WebhookTargetRefused("a webhook URL has no #fragment", field="url")
    return parts.hostname, port or (443 if scheme == "https" else 80)


def refusal(address: Address) -> str | None:
    """Why an outside receiver never has ``address`` (None: a public address)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return refusal(address.ipv4_mapped)
    for kind, found in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not globally reachable", not address.is_global),
    ):
        if found:
            return kind
    return None


def check_addresses(host: str, addresses: list[Address], policy: TargetPolicy) -> None:
    """Refuse when any address the host resolves to is not public (one bad address is
    enough: the connection may go to any of them)."""
    if not addresses:
        raise WebhookTargetRefused(f"{host} resolves to no address", field="url", host=host)
    if policy.allow_private:
        return
    for address in addresses:
        why = refusal(address)
        if why is not None:
            raise WebhookTargetRefused(
                f"{host} resolves to {address}, a {why} address: webhooks go to outside"
                " receivers (allow private targets with MIMS_WEBHOOKS_ALLOW_PRIVATE)",
                field="url",
                host=host,
                address=str(address),
                reason=why,
            )


def literal_address(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (the event loop's resolver, in a thread)."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise WebhookTargetRefused(
            f"{host} does not resolve: {e.strerror}", field="url", host=host
        ) from None
    found: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


async def check_target(url: str, policy: TargetPolicy) -> list[Address]:
    """The URL's form, then the addresses its host resolves to; answers them."""
    host, port = host_of(url, policy)
    addresses = await resolve(host, port)
    check_addresses(host, addresses, policy)
    return addresses
