#!/usr/bin/env bash
# The project's tests: the import contracts; unit, reference target, integration, browser, architecture; then the self-verification
# (every planted fault must be caught by its expected check class; the matrix goes to the log and to
# report/selftest.json). This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
# A Docker engine for tests/docker (installed and started only when `docker info` fails; stopped at the end
# if this run started it). Without one the Docker tests skip with the reason.
./scripts/docker-engine.sh start
trap './scripts/docker-engine.sh stop' EXIT
.venv/bin/lint-imports --no-cache   # the architecture contracts of pyproject.toml (docs/architecture.md)
# Two workers (pytest-xdist): most tests wait on servers, browsers and containers, so two keep both cores
# busy; the Docker tests share one worker (tests/docker/conftest.py).
.venv/bin/python -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup "$@"
.venv/bin/sync-harness selftest --json report/selftest.json
