"""Where webhooks may go: the scheme and the addresses an endpoint's URL may resolve to.

Endpoints are configured by operators, and a platform's own receivers often live inside its
network, so unlike :mod:`amparo.remote` (which fetches URLs that callers send) private
addresses are not refused outright: they are allowed exactly when they lie in a network the
operator listed (``AMPARO_WEBHOOK_ALLOWED_NETWORKS``). Public addresses are always allowed.
Plain ``http://`` needs ``AMPARO_UNSAFE_WEBHOOK_HTTP``.

The URL's shape is checked when an endpoint is added; its addresses on every delivery (a
name may resolve elsewhere tomorrow), and the request then goes to the address that was
checked (see :mod:`amparo.actions._http`), so a second DNS answer cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from amparo.errors import ConfigError, InputError, UnsafeURLError
from amparo.remote import TimeLeft, is_public, resolve

__all__ = ["MAX_URL_LENGTH", "TargetPolicy", "parse_networks"]

log = logging.getLogger(__name__)

MAX_URL_LENGTH = 2048

_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST = re.compile(rf"{_LABEL}(\.{_LABEL})*\.?")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_NETWORKS_HINT = (
    "give networks in CIDR form, e.g. AMPARO_WEBHOOK_ALLOWED_NETWORKS='[\"10.20.0.0/16\"]'"
)


def parse_networks(values: list[str]) -> tuple[Network, ...]:
    """The networks of ``AMPARO_WEBHOOK_ALLOWED_NETWORKS``, or :class:`ConfigError`."""
    networks: list[Network] = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ConfigError(
                f"AMPARO_WEBHOOK_ALLOWED_NETWORKS: {value!r} is not a network",
                hint=_NETWORKS_HINT,
            ) from None
    return tuple(networks)


@dataclass(frozen=True)
class TargetPolicy:
    """Which webhook URLs are acceptable: https (http too with ``allow_http``) to public
    addresses and to addresses inside ``networks``."""

    allow_http: bool = False
    networks: tuple[Network, ...] = ()

    def check_url(self, url: str) -> str:
        """``url`` if its shape is acceptable (and, for an IP literal host, its address);
        else :class:`InputError` saying why. Resolves nothing."""
        if len(url) > MAX_URL_LENGTH or any(c <= " " or c == "\x7f" for c in url):
            raise InputError(
                f"{url[:80]!r} is not a webhook URL: it is too long or holds spaces or "
                "control characters",
                hint=f"give an https:// URL of at most {MAX_URL_LENGTH} characters; "
                "percent-encode spaces and control characters",
            )
        try:
            parts = urlsplit(url)
            scheme, host, _ = parts.scheme, parts.hostname, parts.port  # .port may raise
        except ValueError:
            scheme, host = "", None
        if scheme not in ("http", "https") or not host or parts.fragment:
            raise InputError(
                f"{url!r} is not a webhook URL",
                hint="give an absolute https:// URL without a #fragment, "
                "e.g. https://hooks.example.org/amparo",
            )
        if scheme == "http" and not self.allow_http:
            raise InputError(
                f"{url!r} is plain http://; webhooks are sent over https only",
                hint="use https://, or for a lab set AMPARO_UNSAFE_WEBHOOK_HTTP=1",
            )
        if scheme == "http":
            log.warning("webhook endpoint %s is plain http:// (unsafe_webhook_http)", url)
        try:
            literal = ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            if not _HOST.fullmatch(host):
                raise InputError(
                    f"{url!r} does not name a valid host",
                    hint="write international names in their xn-- (punycode) form",
                ) from None
            return url  # a name: its addresses are checked on every delivery
        if not self.allowed(literal):
            raise InputError(
                f"{url!r} points to a private or loopback address",
                hint="list its network in AMPARO_WEBHOOK_ALLOWED_NETWORKS if the receiver is yours",
            )
        return url

    def allowed(self, address: Address) -> bool:
        """Whether a delivery may go to ``address``."""
        if any(address in network for network in self.networks):
            return True
        return is_public(address)

    def addresses(self, url: str, deadline: TimeLeft | None = None) -> list[str]:
        """The addresses ``url``'s host resolves to, all allowed; else
        :class:`UnsafeURLError` (one message whatever the cause: nothing about the inside of
        the network is told). With ``deadline``, resolving ends by it (:class:`DeadlinePassed`)."""
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
        refused = UnsafeURLError(
            f"the webhook URL's host {host!r} does not resolve to allowed addresses only",
            hint="check the host; a receiver inside your network needs its network in "
            "AMPARO_WEBHOOK_ALLOWED_NETWORKS",
        )
        try:
            found = resolve(host, port, deadline)
        except (OSError, UnicodeError, ValueError):
            raise refused from None
        if not found or not all(self.allowed(ipaddress.ip_address(a.split("%")[0])) for a in found):
            raise refused
        return found
