"""Target profiles (harness/targets/target_profiles.py) and how they fill run options."""
from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from harness.commands.gate_options import add_gate_options, profile_defaults
from harness.errors import UsageError
from harness.targets.target_profiles import available_target_profiles, load_target_profile


def test_the_shipped_filament_postgres_profile_loads() -> None:
    assert "filament-postgres" in available_target_profiles()
    profile, path = load_target_profile("filament-postgres")
    assert profile.name == "filament-postgres" and profile.storage == "postgres"
    assert profile.legacy_overrides == "deferred"
    assert int(profile.env["FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE"]) >= 100000
    assert path is not None and path.name == "filament-postgres.toml"


def test_unsupported_scenarios_are_skipped_with_the_profile_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('name = "p"\n[[unsupported]]\nscenarios = ["row.voice.*"]\nreason = "no LiveKit"\n')
    profile, _ = load_target_profile(str(path))
    assert profile.unsupported_reason("row.voice.join") == "not served by target profile p: no LiveKit"
    assert profile.unsupported_reason("row.message.create") is None


@pytest.mark.parametrize("content, problem", [
    ('name = "p"\nlegacy_overrides = "later"\n', "legacy_overrides"),
    ('name = "p"\nrate_limit = 3\n', "rate_limit"),
    ('name = "p"\n[env]\n"A=B" = "1"\n', "env"),
    ('name = "p"\ndeadline_s = 0\n', "deadline_s"),
    ('name = \n', "not valid TOML"),
])
def test_a_bad_profile_file_is_one_line_naming_file_and_field(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(UsageError) as error:
        load_target_profile(str(path))
    assert str(path) in str(error.value) and problem in str(error.value) and "\n" not in str(error.value)


def test_an_unknown_profile_name_lists_the_known_ones() -> None:
    with pytest.raises(UsageError, match="unknown target profile 'nope'; use one of .*filament-postgres"):
        load_target_profile("nope")
    with pytest.raises(UsageError, match="does not exist"):
        load_target_profile("/nowhere/p.toml")


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    for name in ("--target-url", "--web-url", "--legacy-overrides", "--profile"):
        parser.add_argument(name)
    parser.add_argument("--deadline", type=float)
    parser.add_argument("--target-env", action="append", default=[])
    add_gate_options(parser)
    return parser.parse_args(argv)


def test_the_profile_fills_what_the_command_line_left_out_and_the_command_line_wins(tmp_path: Path) -> None:
    baseline = tmp_path / "known.toml"
    baseline.write_text("version = 1\n")
    path = tmp_path / "p.toml"
    path.write_text('name = "p"\nlegacy_overrides = "deferred"\nweb_url = "http://w"\ndeadline_s = 5\n'
                    'baseline = "known.toml"\n[env]\nA = "1"\nB = "2"\n')
    filled = profile_defaults(_args("--target-profile", str(path)))
    assert (filled["legacy_overrides"], filled["web_url"], filled["deadline_s"]) == ("deferred", "http://w", 5)
    assert filled["target_env"] == ("A=1", "B=2") and filled["baseline_path"] == baseline.resolve()
    given = profile_defaults(_args("--target-profile", str(path), "--legacy-overrides", "immediate",
                                   "--deadline", "1", "--target-env", "B=3"))
    assert (given["legacy_overrides"], given["deadline_s"]) == ("immediate", 1.0)
    assert given["target_env"][-1] == "B=3", "--target-env comes last, so it overrides the profile"
    plain = profile_defaults(_args())
    assert (plain["legacy_overrides"], plain["deadline_s"], plain["profile"]) == ("immediate", 2.0, "current")
