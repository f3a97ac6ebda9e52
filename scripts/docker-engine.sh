#!/usr/bin/env bash
# A Docker engine for the Docker tests (docs/real-server.md, "Docker and compose targets").
#
#   scripts/docker-engine.sh start   # engine answers `docker info` → nothing to do; else install
#                                    # Debian's docker.io + docker-compose (as root, once) and start
#                                    # dockerd in the background, waiting (bounded) until it answers
#   scripts/docker-engine.sh stop    # stop the dockerd that `start` started (and only that one)
#
# Never fails the test command: where no engine can start, it says why and the Docker tests skip
# with that reason (tests/docker/conftest.py). State lives in .docker-engine/ (pid file, dockerd log),
# or in $DOCKER_ENGINE_STATE.
set -uo pipefail
cd "$(dirname "$0")/.."
STATE="${DOCKER_ENGINE_STATE:-.docker-engine}"
PIDFILE="$STATE/dockerd.pid"
LOG="$STATE/dockerd.log"
WAIT_S="${DOCKER_ENGINE_WAIT_S:-60}"

say() { echo "[docker-engine] $*" >&2; }

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

has_compose() { command -v docker-compose >/dev/null 2>&1 || timeout 20 docker compose version >/dev/null 2>&1; }

install_engine() {
  # Only what is missing: an installed engine (Debian's or Docker's own packages) is never replaced.
  local pkgs=""
  command -v dockerd >/dev/null 2>&1 || pkgs="docker.io"
  has_compose || pkgs="$pkgs docker-compose"
  [ -z "$pkgs" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    say "not root: cannot install Debian's$pkgs (Docker tests will skip if they need it)"
    return 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    say "no apt-get: cannot install$pkgs (Docker tests will skip if they need it)"
    return 1
  fi
  say "installing Debian's$pkgs"
  if ! timeout 600 env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $pkgs >"$STATE/apt.log" 2>&1; then
    timeout 300 apt-get update -q >>"$STATE/apt.log" 2>&1
    timeout 600 env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $pkgs >>"$STATE/apt.log" 2>&1 \
      || { say "apt-get install$pkgs failed (see $STATE/apt.log); Docker tests will skip"; return 1; }
  fi
}

start() {
  mkdir -p "$STATE"
  if engine_answers; then
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      say "the engine an earlier start launched from this checkout answers; stop will stop it"
    else
      rm -f "$PIDFILE"  # a stale pid file must never make stop kill an unrelated process
      say "an engine already answers; using it (stop leaves it running)"
    fi
    return 0
  fi
  install_engine || command -v dockerd >/dev/null 2>&1 || return 0
  if ! command -v docker >/dev/null 2>&1; then
    say "no docker client; Docker tests will skip"
    return 0
  fi
  say "starting dockerd (log: $LOG)"
  # setsid: its own session, so a Ctrl-C in the terminal reaches the tests, not the engine.
  setsid dockerd >"$LOG" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  local deadline=$((SECONDS + WAIT_S))
  until engine_answers; do
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      say "dockerd exited: $(tail -n 3 "$LOG" | tr '\n' ' ')"
      rm -f "$PIDFILE"
      return 0
    fi
    if [ $SECONDS -ge $deadline ]; then
      say "dockerd did not answer within ${WAIT_S}s; stopping it (Docker tests will skip)"
      stop
      return 0
    fi
    sleep 0.5
  done
  say "engine ready after $((SECONDS - deadline + WAIT_S))s"
}

stop() {
  [ -f "$PIDFILE" ] || return 0
  local pid; pid="$(cat "$PIDFILE")"
  rm -f "$PIDFILE"
  kill -0 "$pid" 2>/dev/null || return 0
  say "stopping the dockerd this script started (pid $pid)"
  kill -TERM "$pid" 2>/dev/null
  local deadline=$((SECONDS + 20))
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then kill -KILL "$pid" 2>/dev/null; break; fi
    sleep 0.2
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
