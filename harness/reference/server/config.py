"""Server configuration: defaults from the contract, overridable by file, environment and CLI.

Precedence (lowest to highest): built-in defaults < config file (JSON or TOML) < `FILAMENT_*`
environment variables < command-line flags.
"""

from __future__ import annotations

import ipaddress
import json
import os
import tomllib
from pathlib import Path
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .ids import canonical_ulid, is_ulid

MIB = 1024 * 1024


class ConfigError(Exception):
    """A configuration problem, reported as one line and exit code 2."""


class ServerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # where to listen and what to store
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    db: str | None = None  # None: a fresh temporary SQLite file removed at exit
    attachment_root: str | None = None  # None: "<db>.files" beside the database
    faults: list[str] = Field(default_factory=list)
    server_profile: str = "head"  # an older Filament's events and routes (server_profiles.py)

    # REST limits (REST.md §1.8, §1.9, §2.2)
    rate_limit_requests_per_minute: int = Field(600, ge=1)  # global governor burst
    rate_limit_replenish_secs: float = Field(60.0, gt=0)  # one token back per period
    auth_route_requests_per_minute: int = Field(60, ge=1)
    auth_route_window_secs: float = Field(60.0, gt=0)
    directory_join_requests_per_minute_per_ip: int = Field(60, ge=1)
    directory_join_requests_per_minute_per_user: int = Field(30, ge=1)
    media_token_requests_per_minute: int = Field(60, ge=1)
    media_publish_requests_per_minute: int = Field(60, ge=1)
    max_created_guilds_per_user: int = Field(5, ge=1)
    audit_list_limit_max: int = Field(100, ge=1)
    guild_ip_ban_max_entries: int = Field(4096, ge=1)
    trusted_proxy_cidrs: list[str] = Field(default_factory=list)
    server_owner_user_id: str | None = None
    login_lockout_threshold: int = Field(5, ge=1)
    login_lockout_secs: float = Field(30.0, ge=0)
    access_token_ttl_secs: int = Field(900, ge=1)
    refresh_session_ttl_secs: int = Field(30 * 24 * 3600, ge=1)
    request_body_limit_bytes: int = Field(MIB, ge=1)
    request_timeout_secs: float = Field(10.0, gt=0)
    attachment_max_bytes: int = Field(25 * MIB, ge=1)
    user_attachment_quota_bytes: int = Field(250 * MIB, ge=1)
    avatar_max_bytes: int = Field(2 * MIB, ge=1)
    banner_max_bytes: int = Field(6 * MIB, ge=1)

    # gateway limits (GATEWAY.md §1.5)
    gateway_ingress_events_per_window: int = Field(60, ge=1)
    gateway_ingress_window_secs: float = Field(10.0, gt=0)
    gateway_outbound_queue: int = Field(256, ge=1)
    max_gateway_event_bytes: int = Field(65536, ge=1, le=65536)
    gateway_ping_interval_secs: float = Field(30.0, gt=0)

    # password hashing: hashlib.scrypt, deliberately light so the harness can register many users
    scrypt_n: int = Field(1024, ge=2)
    scrypt_r: int = Field(8, ge=1)
    scrypt_p: int = Field(1, ge=1)

    @field_validator("server_profile")
    @classmethod
    def _known_server_profile(cls, value: str) -> str:
        from .server_profiles import SERVER_PROFILES

        if value not in SERVER_PROFILES:
            raise ValueError(f"unknown server profile {value!r}; use one of {', '.join(SERVER_PROFILES)}")
        return value

    @field_validator("trusted_proxy_cidrs")
    @classmethod
    def _check_cidrs(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(f"invalid trusted proxy entry {entry!r}") from exc
        return [entry.strip() for entry in value]

    @field_validator("server_owner_user_id")
    @classmethod
    def _check_owner(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not is_ulid(value.strip()):
            raise ValueError("server_owner_user_id must be a ULID")
        return canonical_ulid(value.strip())

    def trusted_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(entry, strict=False) for entry in self.trusted_proxy_cidrs]


# FILAMENT_* variables of REST.md §2.2 that make sense for the reference target.
ENV_VARS: dict[str, str] = {
    "FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE": "rate_limit_requests_per_minute",
    "FILAMENT_AUTH_ROUTE_REQUESTS_PER_MINUTE": "auth_route_requests_per_minute",
    "FILAMENT_GATEWAY_INGRESS_EVENTS_PER_WINDOW": "gateway_ingress_events_per_window",
    "FILAMENT_GATEWAY_INGRESS_WINDOW_SECS": "gateway_ingress_window_secs",
    "FILAMENT_MEDIA_TOKEN_REQUESTS_PER_MINUTE": "media_token_requests_per_minute",
    "FILAMENT_MEDIA_PUBLISH_REQUESTS_PER_MINUTE": "media_publish_requests_per_minute",
    "FILAMENT_MAX_CREATED_GUILDS_PER_USER": "max_created_guilds_per_user",
    "FILAMENT_DIRECTORY_JOIN_REQUESTS_PER_MINUTE_PER_IP": "directory_join_requests_per_minute_per_ip",
    "FILAMENT_DIRECTORY_JOIN_REQUESTS_PER_MINUTE_PER_USER": "directory_join_requests_per_minute_per_user",
    "FILAMENT_AUDIT_LIST_LIMIT_MAX": "audit_list_limit_max",
    "FILAMENT_GUILD_IP_BAN_MAX_ENTRIES": "guild_ip_ban_max_entries",
    "FILAMENT_TRUSTED_PROXY_CIDRS": "trusted_proxy_cidrs",
    "FILAMENT_SERVER_OWNER_USER_ID": "server_owner_user_id",
    "FILAMENT_ATTACHMENT_ROOT": "attachment_root",
    # not an environment variable of Filament (there it is a fixed 64 KiB); the reference exposes it so a
    # rollout can force an oversized-outbound drop (docs/rollout.md)
    "FILAMENT_MAX_GATEWAY_EVENT_BYTES": "max_gateway_event_bytes",
}


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for var, field in ENV_VARS.items():
        raw = environ.get(var)
        if raw is None:
            continue
        if field == "trusted_proxy_cidrs":
            out[field] = [part for part in (p.strip() for p in raw.split(",")) if part]
        elif field in ("server_owner_user_id", "attachment_root"):
            out[field] = raw.strip() or None
        else:
            out[field] = raw.strip()
    return out


def _read_file(path: str) -> dict[str, Any]:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    try:
        data = tomllib.loads(text) if file.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid {'TOML' if file.suffix.lower() == '.toml' else 'JSON'}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must contain an object/table at the top level")
    return data


def load_config(
    file: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    base: Mapping[str, Any] | None = None,
) -> ServerConfig:
    """Build the effective configuration; raises ConfigError with a one-line message. ``base`` sits under
    everything else (the file, the environment and ``overrides`` all win over it)."""
    merged: dict[str, Any] = dict(base or {})
    if file:
        merged.update(_read_file(file))
    merged.update(_env_overrides(os.environ if environ is None else environ))
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if key == "faults":
            merged["faults"] = list(merged.get("faults", [])) + list(value)
        else:
            merged[key] = value
    try:
        return ServerConfig.model_validate(merged, strict=False)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "config"
        source = f"config file {file}" if file else "configuration"
        raise ConfigError(f"invalid {source}: {where}: {first.get('msg')}") from exc
