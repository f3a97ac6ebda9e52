"""Process-tree helpers for tests that prove a run leaves no process behind (Linux /proc)."""
from __future__ import annotations

from pathlib import Path


def _stat_fields(pid: int | str) -> list[str]:
    """The fields of /proc/PID/stat after the command name (which may hold spaces and parentheses)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` right now (children, their children, …)."""
    children: set[int] = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int(_stat_fields(entry.name)[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == pid:
                children |= {int(entry.name)} | descendants(int(entry.name))
    return children


def alive(pids: set[int]) -> set[int]:
    """The processes of ``pids`` that still run (zombies count as gone: they only await their parent)."""
    out = set()
    for pid in pids:
        try:
            state = _stat_fields(pid)[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            out.add(pid)
    return out
