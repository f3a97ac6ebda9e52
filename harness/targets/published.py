"""The URLs of a server a container publishes on a 127.0.0.1 port (docker: and compose: targets).

Both know the host port only once started; before that every URL is a clear error, not a wrong address.
"""
from __future__ import annotations

from harness.errors import TargetError
from harness.targets.base import gateway_url_for


class PublishedOnLoopback:
    """Mixin: ``rest_url``, ``gateway_url`` and ``web_url`` from ``_host_port`` and ``_web_url``."""

    KIND = "container"
    """The target kind named in the not-started error ("docker", "compose")."""
    _host_port: int | None
    _web_url: str | None

    @property
    def rest_url(self) -> str:
        if self._host_port is None:
            raise TargetError(f"{self.KIND} target is not started: no URL yet")
        return f"http://127.0.0.1:{self._host_port}"

    @property
    def gateway_url(self) -> str:
        return gateway_url_for(self.rest_url)

    @property
    def web_url(self) -> str | None:
        return self._web_url or self.rest_url + "/"
