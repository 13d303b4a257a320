"""Which URLs a connection may point at (SSRF protection).

Connection URLs (account URL, site URL, instance URL, a base_url override) are typed by staff or
come from a token response, and the Hub then calls them with customer credentials. So:

- the scheme must be https, except loopback when the sandbox is enabled (HUB_SANDBOX=1);
- no user-info (``https://user:pass@host``) and no fragment;
- every address the host resolves to must be public: private (RFC 1918, ULA), loopback, link-local
  (incl. the 169.254.169.254 metadata address), carrier-grade NAT, multicast, reserved and
  unspecified addresses are refused. An IPv6 address that carries an IPv4 address (the transition
  forms: IPv4-mapped ``::ffff:0:0/96``, IPv4-compatible ``::/96``, NAT64 ``64:ff9b::/96``, 6to4
  ``2002::/16``, Teredo ``2001::/32`` whose client address is XOR-ed, ISATAP ``...:0:5efe:a.b.c.d``)
  reaches that IPv4 address, so it is public only if the IPv4 address is (``[2002:a9fe:a9fe::]`` is
  169.254.169.254). IPv4-compatible addresses (deprecated, RFC 4291) and the local-use NAT64 prefix
  ``64:ff9b:1::/48`` (where the IPv4 address sits depends on the operator's prefix length) are refused
  whatever they carry.

services/http.py runs the same check again right before each request (``url_guard``), which narrows
the DNS-rebinding window to the resolver's cache.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

from services.core.errors import InvalidInput

Resolver = Callable[[str], list[str]]
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_ISATAP_IDS = (0x00005EFE, 0x02005EFE)   # interface identifier ``0:5efe`` / ``200:5efe`` (RFC 5214)


class UnsafeUrl(InvalidInput):
    """The URL may not be called with customer credentials."""


def system_resolver(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(f"{host}: the host name does not resolve ({exc.args[-1] if exc.args else exc})") from None
    return sorted({str(info[4][0]) for info in infos})


def _is_loopback(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_loopback


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[bool, list[ipaddress.IPv4Address]]:
    """(replaces, addresses): the IPv4 addresses an IPv6 transition address reaches, and whether they alone
    decide (True: the IPv6 prefix is only a wrapper) or the IPv6 address must be public as well (ISATAP)."""
    if ip.ipv4_mapped is not None:
        return True, [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return True, [ip.sixtofour]
    if ip.teredo is not None:
        server, client = ip.teredo     # the client address is stored XOR-ed; ipaddress undoes that
        return True, [server, client]
    if ip in _NAT64:
        return True, [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if (int(ip) >> 32) & 0xFFFFFFFF in _ISATAP_IDS:
        return False, [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return False, []


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL or (ip in _IPV4_COMPATIBLE and not ip.is_loopback and not ip.is_unspecified):
            return False
        replaces, embedded = _embedded_ipv4(ip)
        if embedded and not all(_public(v4) for v4 in embedded):
            return False
        if replaces:
            return True
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return False
    flags = [ip.is_private, ip.is_loopback, ip.is_link_local, ip.is_multicast, ip.is_reserved, ip.is_unspecified]
    if isinstance(ip, ipaddress.IPv6Address):
        flags.append(ip.is_site_local)
    return not any(flags)


def check_url(url: str, *, sandbox_enabled: bool, resolver: Resolver = system_resolver,
              field: str = "URL") -> str:
    """Return the URL if it may be called, else raise UnsafeUrl naming why."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeUrl(f"{field}: {url!r} is not an absolute http(s) URL")
    if parts.username or parts.password:
        raise UnsafeUrl(f"{field}: credentials in the URL are not allowed; use the credential fields")
    if parts.fragment:
        raise UnsafeUrl(f"{field}: a URL fragment (#...) is not allowed")
    host = parts.hostname
    try:
        _classified(host)            # an IP address literal
        addresses = [host]
    except ValueError:
        addresses = resolver(host)   # a name: resolved on every check
    if not addresses:
        raise UnsafeUrl(f"{field}: {host} does not resolve")
    try:
        classes = [_classified(a.split("%", 1)[0]) for a in addresses]
    except ValueError:
        raise UnsafeUrl(f"{field}: {host} resolves to something that is not an IP address") from None
    if all(loopback for _, loopback, _ in classes):
        if sandbox_enabled:
            return url
        raise UnsafeUrl(f"{field}: {host} is a loopback address; only the sandbox (HUB_SANDBOX=1) may use it")
    if parts.scheme != "https":
        raise UnsafeUrl(f"{field}: {url!r} must use https")
    bad = [address for address, _, public in classes if not public]
    if bad:
        raise UnsafeUrl(f"{field}: {host} resolves to a private, link-local or reserved address ({bad[0]}); "
                        "the Hub only calls public hosts")
    return url


@lru_cache(maxsize=4096)
def _classified(address: str) -> tuple[str, bool, bool]:
    """(address, loopback, public) of an IP address text; ValueError when it is not one. Cached: this runs
    before every request (a sweep's CPU went noticeably into parsing the same addresses); only what an address
    is, never what a name resolves to, is kept."""
    ip = ipaddress.ip_address(address)
    return str(ip), _is_loopback(ip), _public(ip)


def guard(*, sandbox_enabled: bool, resolver: Resolver = system_resolver) -> Callable[[str], None]:
    """A url_guard for services/http.py: the same rule, checked at request time."""
    def check(url: str) -> None:
        check_url(url, sandbox_enabled=sandbox_enabled, resolver=resolver, field="request")
    return check
