"""A small path router with axum/matchit semantics.

* Static segments win over parameters at the first segment where candidate patterns differ, and
  the chosen path decides 404 vs 405 (e.g. `GET /users/me/profile` is 405 because the static
  `/users/me/profile` route only has PATCH).
* Matching happens on the raw (percent-encoded) path; parameters are percent-decoded afterwards.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from aiohttp import web

from .errors import FrameworkError

Handler = Callable[..., Awaitable[web.StreamResponse]]


@dataclass
class PathPattern:
    text: str
    segments: list[str | None]  # None = parameter slot
    names: list[str]
    methods: dict[str, Handler] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> "PathPattern":
        segments: list[str | None] = []
        names: list[str] = []
        for part in text.strip("/").split("/") if text != "/" else []:
            if part.startswith("{") and part.endswith("}"):
                segments.append(None)
                names.append(part[1:-1])
            else:
                segments.append(part)
        return cls(text, segments, names)

    def specificity(self) -> tuple[int, ...]:
        return tuple(0 if s is not None else 1 for s in self.segments)

    def match(self, parts: list[str]) -> list[str] | None:
        if len(parts) != len(self.segments):
            return None
        values = []
        for want, got in zip(self.segments, parts):
            if want is None:
                if got == "":
                    return None
                values.append(got)
            elif want != got:
                return None
        return values


@dataclass
class Match:
    pattern: PathPattern
    params: dict[str, str]

    def handler(self, method: str) -> Handler | None:
        handler = self.pattern.methods.get(method)
        if handler is None and method == "HEAD":
            handler = self.pattern.methods.get("GET")
        return handler


class Router:
    def __init__(self) -> None:
        self._patterns: dict[str, PathPattern] = {}

    def add(self, method: str, path: str, handler: Handler) -> None:
        pattern = self._patterns.setdefault(path, PathPattern.parse(path))
        pattern.methods[method] = handler

    def resolve(self, raw_path: str) -> Match | None:
        parts = raw_path.strip("/").split("/") if raw_path not in ("", "/") else []
        if raw_path.endswith("/") and raw_path != "/":
            return None  # axum does not match trailing slashes
        best: tuple[tuple[int, ...], PathPattern, list[str]] | None = None
        for pattern in self._patterns.values():
            values = pattern.match(parts)
            if values is None:
                continue
            key = pattern.specificity()
            if best is None or key < best[0]:
                best = (key, pattern, values)
        if best is None:
            return None
        _, pattern, values = best
        params = {}
        for name, value in zip(pattern.names, values):
            try:
                params[name] = urllib.parse.unquote(value, errors="strict")
            except UnicodeDecodeError as exc:
                raise FrameworkError(400, "Invalid URL: path parameter is not valid UTF-8") from exc
        return Match(pattern, params)
