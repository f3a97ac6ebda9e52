"""Where Chromium comes from and how it is launched, for every Playwright use in the project.

On this kind of machine Playwright cannot download browsers, so Debian's ``/usr/bin/chromium`` is
launched with an explicit ``executable_path``. The background-networking flags matter: without them
Chromium floods a closed network with connection attempts. On a developer machine without a system
Chromium, Playwright's own browser is used.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Any

from harness.errors import BrowserUnavailable

CHROMIUM_FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)

SYSTEM_CANDIDATES: tuple[str, ...] = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
ENV_OVERRIDE = "SYNC_HARNESS_CHROMIUM"


@dataclass(frozen=True)
class ChromiumChoice:
    executable_path: str | None
    """None means Playwright's own bundled browser."""

    def launch_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"headless": True, "args": list(CHROMIUM_FLAGS)}
        if self.executable_path:
            options["executable_path"] = self.executable_path
        return options


def choose_chromium() -> ChromiumChoice:
    """Pick the browser: $SYNC_HARNESS_CHROMIUM, then Debian's Chromium, then Playwright's own."""
    override = os.environ.get(ENV_OVERRIDE)
    if override:
        if not os.access(override, os.X_OK):
            raise BrowserUnavailable(f"{ENV_OVERRIDE}={override} is not an executable file")
        return ChromiumChoice(override)
    for candidate in SYSTEM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return ChromiumChoice(candidate)
    found = shutil.which("chromium")
    return ChromiumChoice(found)


async def launch_chromium(playwright: Any) -> Any:
    """Launch Chromium through an async Playwright instance, with a clear error when none can start."""
    choice = choose_chromium()
    try:
        return await playwright.chromium.launch(**choice.launch_options())
    except Exception as exc:  # Playwright raises its own Error type; keep the first line only
        where = choice.executable_path or "Playwright's bundled Chromium"
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BrowserUnavailable(
            f"cannot launch Chromium ({where}): {first_line}. Install it with "
            "'apt-get install -y chromium' or 'python -m playwright install chromium'."
        ) from exc
