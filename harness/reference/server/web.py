"""Serving the reference web client (WEB_UI.md §6): index page, static assets, runtime config.

The client itself is built elsewhere in `harness/reference/web/`; this module only serves it, fully
offline. `/assets/reference-config.js` is generated: it hands the configured `web.*` faults to the
client so it can plant its UI bugs.
"""

from __future__ import annotations

import json
import urllib.parse
import mimetypes
from pathlib import Path

from aiohttp import web

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
INDEX_PATHS = ("/", "/login", "/app")
CONFIG_ASSET = "/assets/reference-config.js"
_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/vnd.microsoft.icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".txt": "text/plain",
}


def content_type(path: Path) -> str:
    kind = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind in ("application/json", "image/svg+xml") else kind


def is_web_path(raw_path: str) -> bool:
    return raw_path in INDEX_PATHS or raw_path.startswith("/assets/")


def _file_response(path: Path) -> web.Response:
    response = web.Response(status=200, body=path.read_bytes())
    response.headers["Content-Type"] = content_type(path)
    response.headers["Cache-Control"] = "no-cache"
    return response


def serve(raw_path: str, method: str, web_faults: list[str], root: Path = WEB_ROOT) -> web.Response:
    if method not in ("GET", "HEAD"):
        return web.Response(status=405)
    if raw_path in INDEX_PATHS:
        index = root / "index.html"
        return _file_response(index) if index.is_file() else web.Response(status=404)
    if raw_path == CONFIG_ASSET:
        body = "window.__FILAMENT_REFERENCE__ = " + json.dumps({"webFaults": web_faults}) + ";\n"
        response = web.Response(status=200, body=body.encode("utf-8"))
        response.headers["Content-Type"] = "text/javascript; charset=utf-8"
        response.headers["Cache-Control"] = "no-store"
        return response
    relative = urllib.parse.unquote(raw_path[len("/assets/"):])
    # A NUL byte makes path resolution raise instead of failing the lookup: refuse it up front.
    if not relative or "\x00" in relative or ".." in relative.split("/"):
        return web.Response(status=404)
    assets = (root / "assets").resolve()
    target = (assets / relative).resolve()
    if not target.is_relative_to(assets) or not target.is_file():
        return web.Response(status=404)
    return _file_response(target)
