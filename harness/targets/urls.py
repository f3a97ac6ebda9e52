"""One check for every URL the user gives the harness (``--target url:…``, ``--target-url``,
``--web-url``, ``--sync-target``): a clear one-line :class:`UsageError` instead of a traceback from deep
inside a URL parser when the port is out of range or not a number, an IPv6 literal is not closed,
or a dotted-number host is not an IPv4 address."""
from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from harness.errors import UsageError

__all__ = ["checked_http_url"]

_DOTTED_NUMBERS = re.compile(r"^[0-9.]+$")


def checked_http_url(url: str, *, what: str = "the URL") -> str:
    """``url`` unchanged when it is an absolute http(s) URL with a valid host and port; else UsageError."""
    shown = _without_credentials(url)
    example = "e.g. http://127.0.0.1:3000"
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # "Invalid IPv6 URL": an unclosed [ … ]
        raise UsageError(f"{what} {shown!r} is not a valid URL ({exc}); {example}") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{what} must be an http(s) URL, {example} (got {shown!r})")
    host = parts.hostname
    if not host:
        raise UsageError(f"{what} {shown!r} names no host; {example}")
    try:
        port = parts.port
    except ValueError:
        raw = parts.netloc.rsplit(":", 1)[-1]
        raise UsageError(f"{what} {shown!r} has an invalid port {raw!r} (a number from 1 to 65535)") from None
    if port == 0:
        raise UsageError(f"{what} {shown!r} has port 0; a server cannot be reached there")
    if _DOTTED_NUMBERS.match(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise UsageError(f"{what} {shown!r}: {host!r} is not an IPv4 address") from None
    if "[" in parts.netloc:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise UsageError(f"{what} {shown!r}: {host!r} is not an IPv6 address") from None
    return url


def _without_credentials(url: str) -> str:
    """A URL as it may appear in an error message: ``user:password@`` never does."""
    return re.sub(r"//[^/@]*@", "//«credentials»@", url, count=1)
