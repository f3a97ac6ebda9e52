"""Item 4, envelope and schema compatibility.

``v`` must stay 1 on every frame the smoke run saw. Against a previous ``sync-harness contracts export``
(``--baseline-schemas DIR``), payload changes must be additive only: a field the baseline has that the
current contract lacks, a field whose JSON type changed, or a field that became required is a breaking
change, named by event and field. The same baseline also judges the wire: every payload the smoke run
received must still validate against the baseline schema of its event (an old client's view).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from jsonschema import Draft202012Validator

from contracts.catalogue import CATALOGUE
from contracts.export import event_schema
from harness.errors import UsageError
from harness.rollout.checklist import ItemResult, failed, passed
from harness.rollout.smoke import WireSample

NUMBER, KEY, TITLE = 4, "schema_compatibility", "Envelope and schema compatibility"
MAX_DEPTH = 10


@dataclass(frozen=True)
class Breaking:
    event_type: str
    field: str
    change: str

    def describe(self) -> str:
        return f"{self.event_type}.{self.field}: {self.change}" if self.field else f"{self.event_type}: {self.change}"


def load_baseline(directory: Path) -> dict[str, dict[str, Any]]:
    """The event schemas of a ``contracts export`` directory (its index.json names them)."""
    index_path = directory / "index.json"
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
        return {entry["event_type"]: json.loads((directory / entry["file"]).read_text(encoding="utf-8"))
                for entry in index["events"]}
    except FileNotFoundError as exc:
        raise UsageError(f"--baseline-schemas {directory}: {exc.filename} not found "
                         "(give a directory written by 'sync-harness contracts export')") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"--baseline-schemas {directory}: not a contracts export ({type(exc).__name__}: {exc})") from None


def current_schemas() -> dict[str, dict[str, Any]]:
    return {name: event_schema(spec) for name, spec in CATALOGUE.items()}


# ---- schema diff --------------------------------------------------------------------------------------


def _resolve(node: Any, root: Mapping[str, Any]) -> Any:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return node
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node, seen = target, seen + 1
    return node


def _branches(node: Any, root: Mapping[str, Any]) -> list[Any]:
    node = _resolve(node, root)
    if not isinstance(node, dict):
        return []
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node:
            return [b for sub in node[key] for b in _branches(sub, root)]
    return [node]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "any")


def types_of(node: Any, root: Mapping[str, Any]) -> frozenset[str]:
    found: set[str] = set()
    for branch in _branches(node, root):
        kind = branch.get("type")
        if isinstance(kind, str):
            found.add(kind)
        elif isinstance(kind, list):
            found.update(kind)
        elif "const" in branch:
            found.add(_json_type(branch["const"]))
        elif "enum" in branch:
            found.update(_json_type(v) for v in branch["enum"])
        elif "properties" in branch:
            found.add("object")
        else:
            found.add("any")
    return frozenset(found)


def _object_shape(node: Any, root: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
    props: dict[str, Any] = {}
    required: set[str] = set()
    objects = [b for b in _branches(node, root) if b.get("type") == "object" or "properties" in b]
    for index, branch in enumerate(objects):
        props.update(branch.get("properties", {}))
        names = set(branch.get("required", []))
        required = names if index == 0 else required & names  # required in every variant
    return props, required


def _items(node: Any, root: Mapping[str, Any]) -> Any:
    for branch in _branches(node, root):
        if branch.get("type") == "array" and "items" in branch:
            return branch["items"]
    return None


def diff_schema(event_type: str, baseline: Mapping[str, Any], current: Mapping[str, Any]) -> list[Breaking]:
    out: list[Breaking] = []
    _diff(event_type, baseline, current, baseline, current, "", out, 0)
    return out


def _diff(event: str, base: Any, cur: Any, base_root: Mapping[str, Any], cur_root: Mapping[str, Any],
          path: str, out: list[Breaking], depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    base_types, cur_types = types_of(base, base_root), types_of(cur, cur_root)
    if "any" not in base_types and "any" not in cur_types and base_types != cur_types:
        out.append(Breaking(event, path, f"type changed from {'|'.join(sorted(base_types))} to "
                                         f"{'|'.join(sorted(cur_types))}"))
        return
    if "object" in base_types:
        base_props, base_req = _object_shape(base, base_root)
        cur_props, cur_req = _object_shape(cur, cur_root)
        for name, sub in base_props.items():
            where = f"{path}.{name}" if path else name
            if name not in cur_props:
                out.append(Breaking(event, where, "field removed"))
            else:
                _diff(event, sub, cur_props[name], base_root, cur_root, where, out, depth + 1)
        for name in sorted(cur_req - base_req):
            where = f"{path}.{name}" if path else name
            out.append(Breaking(event, where, "new required field" if name not in base_props else "became required"))
    if "array" in base_types:
        base_items, cur_items = _items(base, base_root), _items(cur, cur_root)
        if base_items is not None and cur_items is not None:
            _diff(event, base_items, cur_items, base_root, cur_root, f"{path}[]", out, depth + 1)


def diff_contracts(baseline: Mapping[str, Mapping[str, Any]], current: Mapping[str, Mapping[str, Any]]) -> list[Breaking]:
    out: list[Breaking] = []
    for event_type, schema in baseline.items():
        if event_type not in current:
            out.append(Breaking(event_type, "", "event removed"))
            continue
        out += diff_schema(event_type, schema, current[event_type])
    return out


# ---- the wire ---------------------------------------------------------------------------------------


def wire_violations(samples: Iterable[WireSample], baseline: Mapping[str, Mapping[str, Any]] | None) -> list[str]:
    found: dict[str, str] = {}
    validators = {name: Draft202012Validator(schema) for name, schema in (baseline or {}).items()}
    for sample in samples:
        if sample.version != 1:
            found.setdefault(f"v:{sample.event_type}", f"{sample.event_type}: envelope v is {sample.version!r}, must stay 1")
        validator = validators.get(sample.event_type)
        if validator is None:
            continue
        for error in validator.iter_errors(sample.data):
            where = "d" + "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            found.setdefault(f"{sample.event_type}:{error.message}",
                             f"{sample.event_type}: a payload seen on the wire breaks the baseline schema at "
                             f"{where}: {error.message}{_unknown_hint(error)}")
    return list(found.values())


def _unknown_hint(error: Any) -> str:
    """For a missing required field: the members the baseline does not know (a rename shows up here)."""
    if error.validator != "required" or not isinstance(error.instance, dict):
        return ""
    known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    extra = sorted(k for k in error.instance if k not in known)
    return f" (members the baseline does not know: {', '.join(extra)}; renamed?)" if extra else ""


def judge_compatibility(samples: Sequence[WireSample], baseline_dir: Path | None) -> ItemResult:
    baseline = load_baseline(baseline_dir) if baseline_dir else None
    problems = [b.describe() + " (breaking vs the baseline export)"
                for b in (diff_contracts(baseline, current_schemas()) if baseline else [])]
    problems += wire_violations(samples, baseline)
    evidence = [f"{len(samples)} wire payloads checked ({len({s.event_type for s in samples})} event types): v == 1"
                + (" and valid against the baseline" if baseline else "")]
    if baseline:
        added = sorted(set(current_schemas()) - set(baseline))
        evidence.append(f"baseline {baseline_dir}: {len(baseline)} events" +
                        (f"; new since: {', '.join(added)}" if added else ""))
    if problems:
        return failed(NUMBER, KEY, TITLE, f"{len(problems)} breaking change(s); first: {problems[0]}",
                      problems[:30] + evidence)
    note = "payload changes additive only vs the baseline" if baseline else \
        "no --baseline-schemas given: only the envelope version was checked"
    return passed(NUMBER, KEY, TITLE, f"v == 1 on every frame; {note}", evidence)
