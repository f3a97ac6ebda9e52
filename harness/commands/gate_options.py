"""Options that make a run a CI gate on a real server: ``--target-profile``, ``--baseline``,
``--baseline-strict``, ``--write-baseline`` (shared by ``run``; the pytest plugin has ``--sync-`` twins).

Options given on the command line win over the target profile; a profile only fills what was not given.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TypeVar

from harness.engine.baseline import Baseline, load_baseline
from harness.targets.target_profiles import TargetProfile, load_target_profile

T = TypeVar("T")


def add_gate_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target-profile", metavar="NAME|FILE",
                        help="settings a real server needs (legacy-override mode, environment, unsupported "
                             "scenarios, web URL, baseline) from harness/targets/profiles/NAME.toml or FILE")
    parser.add_argument("--baseline", type=Path, metavar="FILE",
                        help="known-issue baseline (TOML or JSON): matching failures are reported as known")
    parser.add_argument("--baseline-strict", action="store_true",
                        help="an entry of --baseline that no longer fails (stale) fails the run")
    parser.add_argument("--write-baseline", type=Path, metavar="FILE",
                        help="draft a baseline from this run's failures to FILE (TOML, or JSON by suffix)")


def first(*values: T | None) -> T | None:
    return next((v for v in values if v is not None), None)


def resolve_profile(name: str | None) -> tuple[TargetProfile | None, Path | None]:
    if not name:
        return None, None
    return load_target_profile(name)


def resolve_baseline(path: Path | None, profile: TargetProfile | None,
                     profile_file: Path | None) -> tuple[Baseline | None, Path | None]:
    """``--baseline``, else the profile's ``baseline`` (relative to the profile file); loaded now, so a bad
    file is a one-line error before the target starts."""
    if path is None and profile is not None and profile.baseline:
        base = profile_file.parent if profile_file else Path.cwd()
        path = (base / profile.baseline).resolve()
    if path is None:
        return None, None
    return load_baseline(path), path


def profile_defaults(args: argparse.Namespace) -> dict[str, Any]:
    """The RunOptions values that the target profile and the command line decide together."""
    profile, profile_file = resolve_profile(getattr(args, "target_profile", None))
    baseline, baseline_path = resolve_baseline(args.baseline, profile, profile_file)
    p = profile
    env = [*(p.env_list() if p else []), *args.target_env]
    return dict(
        target_profile=p, target_url=first(args.target_url, p and p.target_url),
        target_env=tuple(env), web_url=first(args.web_url, p and p.web_url),
        legacy_overrides=first(args.legacy_overrides, p and p.legacy_overrides, "immediate"),
        deadline_s=first(args.deadline, p and p.deadline_s, 2.0),
        profile=first(args.profile, p and p.client_profile, "current"),
        baseline=baseline, baseline_path=baseline_path, baseline_strict=args.baseline_strict,
        write_baseline=args.write_baseline,
    )
