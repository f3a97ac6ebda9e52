"""Evidence a report can always serialise: values nested deeper than :data:`MAX_DEPTH` are cut.

A server may send a frame nested 900 levels deep; the failure that quotes it must not make every
report writer fail ("Maximum serialization depth exceeded") and lose the run's result. What is cut is
replaced by a short marker that says so."""
from __future__ import annotations

from typing import Any

MAX_DEPTH = 32


def bounded_depth(value: Any, max_depth: int = MAX_DEPTH) -> Any:
    """A copy of ``value`` (JSON-like: dicts, lists, tuples, scalars) with nothing deeper than
    ``max_depth``; iterative, so a very deep value cannot exhaust the stack here either."""
    if not isinstance(value, (dict, list, tuple)):
        return value
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 0)]  # (source, parent, key, depth)
    while stack:
        source, parent, key, depth = stack.pop()
        if isinstance(source, dict):
            if depth >= max_depth:
                parent[key] = _cut(source)
                continue
            copy: dict[Any, Any] = dict.fromkeys(source)  # keys in their order; values filled below
            parent[key] = copy
            stack.extend((item, copy, k, depth + 1) for k, item in source.items())
        elif isinstance(source, (list, tuple)):
            if depth >= max_depth:
                parent[key] = _cut(source)
                continue
            items: list[Any] = [None] * len(source)
            parent[key] = items
            stack.extend((item, items, i, depth + 1) for i, item in enumerate(source))
        else:
            parent[key] = source
    return root[0]


def _cut(value: dict[Any, Any] | list[Any] | tuple[Any, ...]) -> str:
    kind = "object" if isinstance(value, dict) else "array"
    return f"«{kind} of {len(value)} items nested deeper than {MAX_DEPTH} levels, cut»"
