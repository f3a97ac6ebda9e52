"""The three kinds of error response the server produces (REST.md §1.4, §1.5)."""

from __future__ import annotations

import json

from aiohttp import web


class ApiError(Exception):
    """A handler error: JSON `{"error": code}`."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code

    def response(self) -> web.Response:
        return json_response({"error": self.code}, status=self.status)


class FrameworkError(Exception):
    """A framework-level rejection (axum extractor / tower layer): plain text or empty body."""

    def __init__(self, status: int, text: str = "") -> None:
        super().__init__(f"{status} {text}")
        self.status = status
        self.text = text

    def response(self) -> web.Response:
        if not self.text:
            return web.Response(status=self.status, body=b"")
        return web.Response(status=self.status, text=self.text, content_type="text/plain", charset="utf-8")


def json_response(payload: object, status: int = 200) -> web.Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return web.Response(status=status, body=body, content_type="application/json")


def invalid_request() -> ApiError:
    return ApiError(400, "invalid_request")


def unauthorized() -> ApiError:
    return ApiError(401, "invalid_credentials")


def forbidden(code: str = "forbidden") -> ApiError:
    return ApiError(403, code)


def not_found() -> ApiError:
    return ApiError(404, "not_found")


def quota_exceeded() -> ApiError:
    return ApiError(409, "quota_exceeded")


def payload_too_large() -> ApiError:
    return ApiError(413, "payload_too_large")


def rate_limited() -> ApiError:
    return ApiError(429, "rate_limited")


def internal_error() -> ApiError:
    return ApiError(500, "internal_error")
