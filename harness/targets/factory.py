"""``make_target(spec, **options)``: the one place that turns a ``--target`` value into a Target.

Forms:

* ``reference`` — the embedded reference server (options: see :class:`ReferenceTarget`: ``config``,
  ``faults``, ``db_path``, ``port``, ``start_timeout``, …);
* ``url:URL`` — an already running server (options: ``gateway_url``, ``web_url``, ``ready_timeout``);
* ``command:CMD`` — run CMD (shell-like quoting, no shell) which will serve ``url`` (required option,
  the ``--target-url`` value), with extra ``env`` (``{"K": "V"}`` or ``["K=V", …]``);
* ``docker:IMAGE`` — one container of a local image (options: ``env``, ``container_port`` (the
  ``--target-port`` value), ``web_url``, ``start_timeout``); see :mod:`harness.targets.docker_image`;
* ``compose:FILE`` — a compose stack (options: ``service`` (the ``--compose-service NAME:PORT`` value),
  ``env``, ``web_url``, ``start_timeout``); see :mod:`harness.targets.compose`.

``target_url`` and ``target_env`` are accepted as aliases of ``url`` and ``env`` (the CLI names).
"""
from __future__ import annotations

from typing import Any

from harness.errors import UsageError
from harness.targets.base import Target

__all__ = ["make_target", "TARGET_FORMS"]

TARGET_FORMS = (
    "reference",
    "url:http://HOST:PORT",
    "command:CMD (with --target-url and optional --target-env NAME=value)",
    "docker:IMAGE (with optional --target-port and --target-env NAME=value)",
    "compose:FILE (with --compose-service NAME:PORT and optional --target-env NAME=value)",
)


def _forms() -> str:
    return ", ".join(f"'{f}'" for f in TARGET_FORMS)


def make_target(spec: str, **options: Any) -> Target:
    spec = (spec or "").strip()
    for alias, name in (("target_url", "url"), ("target_env", "env")):
        if alias in options:
            if name in options and options[name] is not None and options[alias] is not None:
                raise UsageError(f"give either {alias} or {name}, not both")
            value = options.pop(alias)
            if value is not None or name not in options:
                options[name] = value
    options = {k: v for k, v in options.items() if v is not None}
    try:
        if spec == "reference":
            from harness.targets.reference import ReferenceTarget

            _reject(options, {"url"}, spec)
            return ReferenceTarget(**options)
        if spec.startswith("url:"):
            from harness.targets.url import UrlTarget

            url = spec[len("url:") :]
            _reject(options, {"url", "env"}, "url:")
            return UrlTarget(url, **options)
        if spec.startswith("command:"):
            from harness.targets.command import CommandTarget

            command = spec[len("command:") :].strip()
            if not command:
                raise UsageError("command: target needs a command line, e.g. command:./filament-server")
            url = options.pop("url", None)
            if not url:
                raise UsageError(
                    "a command: target needs the URL it will serve: --target-url http://127.0.0.1:3000"
                )
            return CommandTarget(command, url, **options)
        if spec.startswith("docker:"):
            from harness.targets.docker_image import DockerTarget

            _reject(options, {"url", "service"}, "docker:")
            return DockerTarget(spec[len("docker:") :], **options)
        if spec.startswith("compose:"):
            from harness.targets.compose import ComposeTarget

            _reject(options, {"url", "container_port"}, "compose:")
            file = spec[len("compose:") :].strip()
            if not file:
                raise UsageError("compose: target needs a compose file, e.g. compose:docker-compose.yml")
            return ComposeTarget(file, **options)
    except TypeError as exc:
        raise UsageError(f"bad option for target {spec!r}: {exc}") from None
    raise UsageError(f"unknown target {spec!r}; use one of {_forms()}")


def _reject(options: dict[str, Any], names: set[str], spec: str) -> None:
    bad = sorted(names & options.keys())
    if bad:
        raise UsageError(f"option(s) {', '.join(bad)} do not apply to a {spec} target")
