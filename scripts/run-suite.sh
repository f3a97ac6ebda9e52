#!/usr/bin/env bash
# The main job: boot the embedded reference target, run the full scenario suite with simulated and
# browser clients, and write the report (report/result.json, report/junit.xml, report/allure-results,
# report/report.html: open it in a browser, docs/html-report.md).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
exec .venv/bin/sync-harness run --target reference --browsers 2 --report report --json report/result.json "$@"
