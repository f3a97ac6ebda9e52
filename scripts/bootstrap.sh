#!/usr/bin/env bash
# Idempotent set-up shared by the two README commands: virtualenv, packages, Chromium.
# Safe to run again and again: each step is skipped when its result is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=".venv"

say() { printf '[bootstrap] %s\n' "$*" >&2; }

if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtualenv $VENV"
  "$PYTHON" -m venv "$VENV"
fi

# Reinstall only when the dependency declaration changed since the last successful install.
stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  say "installing packages (pip install -e .[dev])"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e '.[dev]'
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi

# Chromium: Debian's package where we can install it (Playwright cannot download browsers on a closed
# network), otherwise Playwright's own browser on a normal developer machine.
if [ -n "${SYNC_HARNESS_CHROMIUM:-}" ] && [ -x "${SYNC_HARNESS_CHROMIUM}" ]; then
  :
elif [ -x /usr/bin/chromium ] || [ -x /usr/bin/chromium-browser ]; then
  :
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  say "installing Chromium from Debian (apt-get install chromium)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  say "no system Chromium: installing Playwright's own browser"
  "$VENV/bin/python" -m playwright install chromium
fi

# The Allure command line (npm package allure-commandline; Java runs it), so the tests that read
# `allure generate`'s output run instead of skipping. Best effort: without npm or Java they skip.
ALLURE_HOME=".tools/allure"
if [ ! -x "$ALLURE_HOME/node_modules/.bin/allure" ] && command -v npm >/dev/null 2>&1 && command -v java >/dev/null 2>&1; then
  say "installing the Allure command line (npm install allure-commandline into $ALLURE_HOME)"
  mkdir -p "$ALLURE_HOME"
  npm install --silent --no-audit --no-fund --prefix "$ALLURE_HOME" allure-commandline >/dev/null 2>&1 \
    || say "warning: the Allure command line could not be installed; the tests that need it will skip"
fi
