"""Which reverse proxies may tell the web chat who its visitor is (the BOT_TRUSTED_PROXIES setting).

Behind Docker's network, or with Caddy/nginx on another machine, every connection comes from the
proxy, not from 127.0.0.1. Unless that proxy is trusted, all visitors share one address limit and
the embedded widget's cookie is never marked Secure. Only the listed proxies are believed: anyone
else's X-Forwarded-For / X-Forwarded-Proto is ignored, so a visitor cannot pick their own address.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

log = logging.getLogger("bot.web")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

HOP_MAX = 64  # a forwarded "address" that is not one is kept as a short key, never as a long string


def parse(text: str) -> tuple[tuple[Network, ...], list[str]]:
    """The networks listed (comma or space separated; a bare address is a network of one) and the
    entries that are neither, so that `doctor` can name them."""
    networks: list[Network] = []
    bad: list[str] = []
    for entry in re.split(r"[\s,;]+", text.strip()):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            bad.append(entry)
    return tuple(networks), bad


def _address(text: str | None) -> Address | None:
    if not text:
        return None
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # "::ffff:127.0.0.1" from a dual-stack socket is 127.0.0.1
    return address


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network, ...]

    @classmethod
    def from_setting(cls, text: str) -> TrustedProxies:
        networks, bad = parse(text)
        if bad:
            log.warning("BOT_TRUSTED_PROXIES: ignoring %d entries that are not addresses (see doctor)", len(bad))
        return cls(networks)

    def trusts(self, address: str | None) -> bool:
        parsed = _address(address)
        if parsed is None:
            return address == "localhost"
        return any(parsed.version == net.version and parsed in net for net in self.networks)

    def client(self, peer: str | None, forwarded_for: Iterable[str]) -> str:
        """The visitor's address: the right-most X-Forwarded-For entry that is not one of our
        proxies (each proxy appends the address it saw, so entries left of it may be forged)."""
        if not self.trusts(peer):
            return str(peer)
        hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                parsed = _address(hop)
                return str(parsed) if parsed is not None else hop[:HOP_MAX]
        return hops[0][:HOP_MAX] if hops else str(peer)

    def https(self, peer: str | None, forwarded_proto: str) -> bool:
        """Whether the visitor's browser speaks HTTPS, as a trusted proxy says (the first, outermost
        scheme if a chain of proxies listed several)."""
        if not self.trusts(peer):
            return False
        return forwarded_proto.split(",")[0].strip().lower() == "https"
