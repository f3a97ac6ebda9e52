"""Option definitions shared by sub-commands, and argparse types that turn bad values into one-line errors."""
from __future__ import annotations

import argparse
import math

from harness.errors import UsageError
from harness.targets.urls import checked_http_url

EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_TERMINATED = 143
"""SIGTERM (what CI sends on cancel): 128 + 15, handled like Ctrl-C."""


def add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target", default="reference", type=target_spec,
        help="reference (default) | url:URL | command:CMD | docker:IMAGE | compose:FILE",
    )
    parser.add_argument("--target-url", type=http_url, help="for command: targets, the URL the command serves")
    parser.add_argument(
        "--target-env", action="append", default=[], metavar="KEY=VALUE",
        help="extra environment for command:, docker: and compose: targets (repeatable)",
    )
    parser.add_argument(
        "--target-port", type=positive_int, metavar="PORT",
        help="for docker: targets, the server's port inside the container (default: the image's only EXPOSE)",
    )
    parser.add_argument(
        "--compose-service", metavar="NAME:PORT",
        help="for compose: targets, the server service and its port inside the container",
    )
    parser.add_argument(
        "--web-url", type=http_url, help="where the web client under test is served (default: the target's own web client)",
    )
    parser.add_argument(
        "--fault", action="append", default=[], metavar="NAME",
        help="start the reference target with a planted fault (repeatable; see serve-reference --list-faults)",
    )


def positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def http_url(text: str) -> str:
    """An absolute http(s) URL with a valid host and port (harness.targets.urls)."""
    try:
        return checked_http_url(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def target_spec(text: str) -> str:
    """A ``--target`` value; the URL of ``url:URL`` is checked now, not deep inside the run."""
    if text.startswith("url:"):
        try:
            checked_http_url(text[len("url:"):], what="url: target")
        except UsageError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def positive_float(text: str) -> float:
    value = non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):  # nan and inf parse as floats, and would make every wait endless
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds, got {text!r}")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value
