"""Where an outgoing webhook may go: http(s) URLs whose host is a public address.

A webhook URL is typed by staff but requested by the server, from inside the
publisher's network: left unchecked it reaches the cloud metadata service
(169.254.169.254), the database, or anything else on 10.x or 127.0.0.1.
Loopback, private, link-local, shared, multicast and reserved addresses are
refused when an endpoint is saved and again at send time, on the address
the name resolves to then (DNS can change), unless
OUTGOING_WEBHOOKS_ALLOW_PRIVATE is on (tests, the local demo). The sender
connects to the very address that was checked, never looking the name up again.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna
from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
SCHEMES = ("http", "https")


class RefusedDestination(Exception):
    """Why a URL may not be sent to, in words staff can act on."""


@dataclass(frozen=True)
class Destination:
    """A checked URL: the host's ASCII name (for Host and TLS) and the address to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, in the resolver's order.

    The one place a webhook host is looked up, so tests can stand in for DNS
    and show an address is refused before any connection is made.
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def ascii_name(host: str) -> str:
    """`host` as DNS, the Host header and TLS know it: an internationalised name in its xn-- form.

    URLValidator accepts пример.рф; sent as written, it could neither be
    looked up reliably nor go in a Host header (http.client refuses it).
    """
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except UnicodeError as error:  # idna.IDNAError is one
        raise RefusedDestination(f"{host} is not a valid domain name: {error}") from error


def refusal(address: Address) -> str | None:
    """What kind of non-public address `address` is ("a private address"), or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind, test in (
        ("a loopback", address.is_loopback),
        ("a link-local", address.is_link_local),
        ("an unspecified", address.is_unspecified),
        ("a multicast", address.is_multicast),
        ("a private", address.is_private),
        ("a reserved", address.is_reserved),
    ):
        if test:
            return f"{kind} address"
    if not address.is_global:
        return "not a public address"
    return None


def check(url: str) -> Destination:
    """The destination to connect to for `url`; RefusedDestination when it may not be used."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise RefusedDestination(f"{url!r} is not an http:// or https:// URL.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise RefusedDestination(f"{url!r} has an invalid port.") from error
    host = parts.hostname
    try:
        addresses = [ipaddress.ip_address(host)]
        named = False
    except ValueError:
        named = True
        host = ascii_name(host)
        try:
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolve(host, port)]
        except (OSError, UnicodeError) as error:
            raise RefusedDestination(f"{host} could not be resolved: {error}") from error
    if not addresses:
        raise RefusedDestination(f"{host} could not be resolved.")
    if not settings.OUTGOING_WEBHOOKS_ALLOW_PRIVATE:
        # Every address, not just the first: a name that resolves to a public
        # and a private address must not be a way in.
        for address in addresses:
            if kind := refusal(address):
                what = f"{host} resolves to {address}, {kind}" if named else f"{host} is {kind}"
                raise RefusedDestination(
                    f"{what}; webhooks go to public addresses only "
                    "(OUTGOING_WEBHOOKS_ALLOW_PRIVATE=true allows others)."
                )
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    return Destination(
        scheme=parts.scheme, host=host, port=port, path=path, address=str(addresses[0])
    )
