"""The pytest gate against a compose: target: --sync-compose-service reaches the target, every
service's log lands in --sync-artefacts, and the stack is gone when pytest ends."""
from __future__ import annotations

from typing import Any

import pytest

from tests.docker.conftest import leftovers
from tests.support.reference_image import COMPOSE_FILE, CONTAINER_PORT

pytest_plugins = ["pytester"]


@pytest.mark.timeout(300)
def test_the_gate_runs_against_a_compose_target_and_keeps_every_log(pytester: pytest.Pytester, reference_image: str,
                                                                    docker_client: Any) -> None:
    artefacts = pytester.path / "artefacts"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--sync-target=compose:{COMPOSE_FILE}",
        f"--sync-compose-service=server:{CONTAINER_PORT}", f"--sync-target-env=SYNC_REFERENCE_IMAGE={reference_image}",
        "--sync-scenario=row.message.edit", f"--sync-artefacts={artefacts}", "-v", timeout=280)
    result.stdout.fnmatch_lines(["*row.message.edit PASSED*"])
    assert sorted(p.name for p in (artefacts / "target-logs").iterdir()) == ["healthwatch.log", "server.log"]
    assert leftovers(docker_client) == []
