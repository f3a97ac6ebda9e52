"""The Docker SDK stays out of the pure layers: planting ``import docker`` in the model breaks the
``pure-model-and-checks`` contract (the docker: and compose: targets live in harness/targets)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.architecture.test_imports import PACKAGES, ROOT, _lint_imports


@pytest.mark.parametrize("module", ["harness/model/world.py", "harness/checks/delivery.py"])
def test_importing_docker_in_the_model_or_the_checks_breaks_the_contract(tmp_path: Path, module: str) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    assert _lint_imports(tmp_path, "pure-model-and-checks").returncode == 0, "the copy is clean before the plant"
    planted = tmp_path / module
    planted.write_text(planted.read_text() + "\nimport docker  # planted by the architecture test\n")
    done = _lint_imports(tmp_path, "pure-model-and-checks")
    assert done.returncode != 0 and "BROKEN" in done.stdout and "docker" in done.stdout, done.stdout
