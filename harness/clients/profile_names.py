"""The names a client profile may have: a protocol profile (``contracts.profiles``) or a selector profile
of the web client, or one of its aliases, which maps onto a protocol profile.

Both ``--profile`` and a scenario client's ``profile`` go through :func:`check_profile_name`, because an
unknown name would otherwise run silently as ``current`` and a mixed-version run would test nothing.
"""
from __future__ import annotations

import argparse


def check_profile_name(name: str) -> str:
    """``name`` when it names a known profile; a ValueError listing the known ones otherwise."""
    # Imported when a name is checked, not when harness.engine.scenario (which imports this module) is loaded.
    from contracts.profiles import PROFILES
    from harness.clients.selectors import ProfileError, available_profiles, load_profile

    if name in PROFILES:
        return name
    try:
        load_profile(name)
    except ProfileError:
        known = sorted({*PROFILES, *available_profiles()})
        raise ValueError(f"unknown profile {name!r}; use one of {', '.join(known)}") from None
    return name


def profile_argument(text: str) -> str:
    """``check_profile_name`` as an argparse ``type`` (``--profile``, ``--sync-profile``), keeping its message."""
    try:
        return check_profile_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
