"""Target profiles: what a real server needs from the harness, as a named, reviewed file.

A real server differs from the reference target in ways a run must be told about (how it applies the
legacy channel-override route, which IP-keyed rate limits to raise, its storage mode, the scenarios it
cannot serve such as voice without LiveKit, where its web client is served). Spelling those out on every
command line is error-prone; ``--target-profile NAME|FILE`` reads them from a TOML file instead.
Shipped profiles live in ``harness/targets/profiles/<name>.toml``; a path to any ``.toml`` file works too.
Options given on the command line win over the profile.
"""
from __future__ import annotations

import fnmatch
import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.errors import UsageError
from harness.model.world import LegacyOverrideMode

__all__ = ["TargetProfile", "Unsupported", "load_target_profile", "available_target_profiles"]

PROFILE_PACKAGE = "harness.targets"
PROFILE_DIR = "profiles"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Unsupported(_Strict):
    """Scenarios the target cannot serve at all: skipped with ``reason`` (never silently passed)."""

    scenarios: list[str] = Field(min_length=1)
    """Globs over scenario ids."""
    reason: str = Field(min_length=1)


class TargetProfile(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    storage: Literal["sqlite", "postgres", "memory"] = "sqlite"
    """The server's storage mode; documents which of Filament's two behaviours the model follows."""
    legacy_overrides: LegacyOverrideMode = "immediate"
    """How the server applies POST …/overrides/{owner|moderator|member} (REST.md §14.3)."""
    target_url: str | None = None
    """Default ``--target-url`` for ``command:`` targets."""
    web_url: str | None = None
    """Default ``--web-url``: where the web client of this server is served."""
    client_profile: str | None = None
    """Default ``--profile`` (protocol or selector profile of the clients)."""
    deadline_s: float | None = Field(default=None, gt=0)
    """Default ``--deadline``: a real server on a busy machine may need more than 2 s."""
    env: dict[str, str] = Field(default_factory=dict)
    """Environment a ``command:`` target is started with (``--target-env`` adds to and overrides it).
    For a server you start yourself (``url:``) these are the settings to start it with."""
    baseline: str | None = None
    """Default ``--baseline``: a known-issue file, relative to the profile file."""
    unsupported: list[Unsupported] = Field(default_factory=list)

    @field_validator("env")
    @classmethod
    def _env_names(cls, env: dict[str, str]) -> dict[str, str]:
        bad = [k for k in env if not k or "=" in k]
        if bad:
            raise ValueError(f"environment names must be non-empty and contain no '=': {bad}")
        return env

    def unsupported_reason(self, scenario_id: str) -> str | None:
        """Why this target cannot run ``scenario_id``, or None."""
        for rule in self.unsupported:
            if any(fnmatch.fnmatchcase(scenario_id, pattern) for pattern in rule.scenarios):
                return f"not served by target profile {self.name}: {rule.reason}"
        return None

    def env_list(self) -> list[str]:
        return [f"{k}={v}" for k, v in self.env.items()]


def available_target_profiles() -> list[str]:
    folder = resources.files(PROFILE_PACKAGE) / PROFILE_DIR
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_target_profile(name_or_path: str) -> tuple[TargetProfile, Path | None]:
    """The profile and the file it came from (None for a shipped one read from a zip); UsageError
    naming the file and the problem otherwise."""
    path = Path(name_or_path)
    if name_or_path.endswith(".toml") or path.is_file():
        if not path.is_file():
            raise UsageError(f"target profile file {name_or_path} does not exist")
        return _parse(path.read_text(encoding="utf-8"), str(path)), path.resolve()
    resource = resources.files(PROFILE_PACKAGE) / PROFILE_DIR / f"{name_or_path}.toml"
    if not resource.is_file():
        raise UsageError(f"unknown target profile {name_or_path!r}; use one of "
                         f"{', '.join(available_target_profiles())} or a path to a .toml file")
    local = Path(str(resource))
    return _parse(resource.read_text(encoding="utf-8"), name_or_path), local if local.is_file() else None


def _parse(text: str, source: str) -> TargetProfile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"target profile {source}: not valid TOML: {exc}") from None
    try:
        return TargetProfile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(file)'}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"target profile {source}: {problems}") from None
