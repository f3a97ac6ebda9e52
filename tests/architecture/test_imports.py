"""The architecture rules of docs/architecture.md, checked rather than remembered.

* The import-linter contracts in pyproject.toml hold on this tree, and each one fails on a planted bad
  import in a copy of the tree (so no contract is a rule that cannot fail).
* No module imports itself through a circle of other modules (grimp's import graph, TYPE_CHECKING
  imports included, since a circle there is still two modules that cannot be understood apart).
"""
from __future__ import annotations

import graphlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("contracts", "harness", "scenarios", "reports", "fixtures")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(tree: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    args = [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")]
    for contract in contracts:
        args += ["--contract", contract]
    # PYTHONPATH first, and a working directory of the copy: grimp must read the copy, not the checkout.
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(args, cwd=tree, env=env, capture_output=True, text=True, timeout=180)


def test_every_contract_holds_on_this_tree() -> None:
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


PLANTED = {
    # contract id: (module file, the bad import appended to it)
    "layers": ("harness/model/world.py", "import harness.engine.runner"),
    "engine-never-imports-reference": ("harness/engine/runner.py", "import harness.reference.server.app"),
    "reference-is-independent": ("harness/reference/server/app.py", "import contracts.envelope"),
    "pure-model-and-checks": ("harness/checks/delivery.py", "import httpx"),
}


@pytest.mark.parametrize("contract", sorted(PLANTED))
def test_each_contract_fails_on_a_planted_bad_import(tree_copy: Path, contract: str) -> None:
    relative, bad_import = PLANTED[contract]
    module = tree_copy / relative
    original = module.read_text()
    assert _lint_imports(tree_copy, contract).returncode == 0, "the copy is clean before the plant"
    module.write_text(f"{original}\n{bad_import}  # planted by the architecture test\n")
    try:
        done = _lint_imports(tree_copy, contract)
    finally:
        module.write_text(original)
    assert done.returncode != 0, done.stdout
    assert "BROKEN" in done.stdout and bad_import.split()[-1] in done.stdout, done.stdout


def import_cycle(packages: tuple[str, ...] = PACKAGES) -> list[str] | None:
    """A circle of modules importing each other, or None."""
    graph = grimp.build_graph(*packages)
    order: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for module in graph.modules:
        order.add(module, *graph.find_modules_directly_imported_by(module))
    try:
        order.prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return None


def test_no_module_imports_itself_through_a_circle() -> None:
    cycle = import_cycle()
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_planted_circle(tree_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # nemesis used to take ScenarioSession from the runner while the runner imported nemesis.
    module = tree_copy / "harness/engine/nemesis.py"
    original = module.read_text()
    module.write_text(f"{original}\nimport harness.engine.runner  # planted by the architecture test\n")
    monkeypatch.syspath_prepend(str(tree_copy))
    for name in [m for m in sys.modules if m.split(".")[0] in PACKAGES]:
        monkeypatch.delitem(sys.modules, name)
    try:
        cycle = import_cycle()
    finally:
        module.write_text(original)
    assert cycle is not None and "harness.engine.nemesis" in cycle and "harness.engine.runner" in cycle
