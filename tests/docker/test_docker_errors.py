"""One-line errors of docker: and compose: targets that need an engine to happen."""
from __future__ import annotations

from typing import Any

import pytest

from harness.errors import TargetCrashed
from harness.targets.factory import make_target
from tests.docker.conftest import error_line, leftovers, run_harness, target_args

pytestmark = pytest.mark.timeout(200)


def test_an_image_that_is_not_in_the_engine_is_exit_2_and_never_pulled(docker_client: Any) -> None:
    done = run_harness("--target", "docker:sync-harness-no-such-image:1", timeout=120)
    assert done.returncode == 2
    assert "is not in the Docker engine" in error_line(done.stderr)
    assert leftovers(docker_client) == []


def test_a_compose_service_that_is_not_in_the_file_is_exit_2(reference_image: str, docker_client: Any) -> None:
    args = target_args("compose", reference_image)
    args[args.index("--compose-service") + 1] = "api:3000"
    done = run_harness(*args, timeout=120)
    assert done.returncode == 2
    assert "'api' is not a service" in error_line(done.stderr) and "server" in error_line(done.stderr)
    assert leftovers(docker_client) == []


async def test_the_kept_log_of_a_crashed_container_is_redacted(reference_image: str, docker_client: Any) -> None:
    secret = "a-secret-fault-name-99"
    target = make_target(f"docker:{reference_image}",
                         env=[f"HARNESS_REFERENCE_FAULTS={secret}", f"DB_PASSWORD={secret}"])
    with pytest.raises(TargetCrashed) as caught:
        await target.start_cleanly()
    log = target.logs()["server"]
    assert secret not in log and secret not in str(caught.value)
    assert "«redacted:target_env»" in log
    assert leftovers(docker_client) == []
