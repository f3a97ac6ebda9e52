"""docker: and compose: targets without an engine: option parsing, owners of leftovers, one-line errors,
and the report's target logs being redacted."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.redact import Redactor
from harness.targets.compose import parse_compose_service
from harness.targets.docker_engine import PROJECT_PREFIX, new_run, owner_alive
from harness.targets.factory import make_target
from reports.target_logs import write_target_logs

HARNESS = [sys.executable, "-m", "harness.cli"]


def test_compose_service_is_name_and_port() -> None:
    assert parse_compose_service("server:3000") == ("server", 3000)
    assert parse_compose_service("my-api:8080") == ("my-api", 8080)


@pytest.mark.parametrize("bad", [None, "", "server", ":3000", "server:", "server:http", "server:70000"])
def test_a_malformed_compose_service_is_a_usage_error(bad: str | None) -> None:
    with pytest.raises(UsageError, match="compose-service"):
        parse_compose_service(bad)


@pytest.mark.parametrize("spec, options, message", [
    ("docker:", {}, "needs an image"),
    ("docker:img", {"url": "http://127.0.0.1:1"}, "do not apply"),
    ("compose:", {}, "needs a compose file"),
    ("compose:/no/such/compose.yml", {"service": "server:1"}, "does not exist"),
    ("compose:pyproject.toml", {"container_port": 3}, "do not apply"),
])
def test_bad_docker_and_compose_specs_are_usage_errors(spec: str, options: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        make_target(spec, **options)


def test_a_run_names_its_owner_and_is_a_valid_compose_project_name() -> None:
    run = new_run()
    assert run.name.startswith(PROJECT_PREFIX) and run.name == run.name.lower()
    assert set(run.name) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert f"-{os.getpid()}-" in run.owner and owner_alive(run.owner)


def test_the_owner_of_an_exited_process_is_dead_and_other_hosts_count_as_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import os; print(open(f'/proc/{os.getpid()}/stat').read())"],
                             stdout=subprocess.PIPE, text=True)
    stat, _ = child.communicate(timeout=30)
    start = stat.rsplit(")", 1)[1].split()[19]
    host = new_run().owner.split("-")[0]
    assert not owner_alive(f"{host}-{child.pid}-{start}")  # exited and reaped
    assert not owner_alive(f"{host}-{os.getpid()}-1")       # a pid reused by another process
    assert owner_alive(f"{'0' * 6 if host != '0' * 6 else '1' * 6}-{child.pid}-{start}")  # another host's
    assert owner_alive("not-an-owner")


def test_no_engine_is_exit_2_with_one_line(tmp_path: Path) -> None:
    done = subprocess.run([*HARNESS, "run", "--target", "docker:some-image", "--scenario", "row.message.create"],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"})
    assert done.returncode == 2
    [line] = [x for x in done.stderr.splitlines() if x.startswith("error:")]
    assert "no Docker engine answers" in line


def test_a_missing_compose_service_option_is_exit_2_with_one_line() -> None:
    done = subprocess.run([*HARNESS, "run", "--target", "compose:tests/docker/reference-compose.yml"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    [line] = [x for x in done.stderr.splitlines() if x.startswith("error:")]
    assert "--compose-service NAME:PORT" in line


def test_target_logs_in_the_report_are_redacted(tmp_path: Path) -> None:
    redactor = Redactor()
    redactor.add("v4.local.secret-token-value-123", "access_token")
    [path] = write_target_logs({"server": "GET /x token v4.local.secret-token-value-123\n"}, redactor, tmp_path)
    assert path == tmp_path / "target-logs" / "server.log"
    assert "secret-token-value" not in path.read_text() and "«redacted" in path.read_text()
    assert write_target_logs({}, redactor, tmp_path) == [] and write_target_logs({"s": "x"}, redactor, None) == []
