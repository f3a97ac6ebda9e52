"""The rollout checklist's pure judges: each one passes on good input and fails, naming what is wrong,
on the fault it exists for."""
from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path

import pytest

from contracts.export import export_json_schemas
from harness.errors import UsageError
from harness.rollout.compatibility import current_schemas, diff_contracts, judge_compatibility, load_baseline, wire_violations
from harness.rollout.manifest import judge_manifest
from harness.rollout.metrics import parse_exposition
from harness.rollout.reconcile import judge_reconcile
from harness.rollout.smoke import Window, WireSample
from harness.rollout.surface import judge_surface

MANIFEST = Path(__file__).resolve().parents[1] / "data" / "rollout" / "gateway_events_manifest.json"
FAMILIES = [
    ("filament_auth_failures_total", 'reason="unauthorized"'),
    ("filament_rate_limit_hits_total", 'surface="auth",reason="login"'),
    ("filament_ws_disconnects_total", 'reason="client_close"'),
    ("filament_gateway_events_emitted_total", 'scope="connection",event_type="ready"'),
    ("filament_gateway_events_dropped_total", 'scope="channel",event_type="message_create",reason="oversized_outbound"'),
    ("filament_gateway_events_unknown_received_total", 'scope="ingress",event_type="x"'),
    ("filament_gateway_events_parse_rejected_total", 'scope="ingress",reason="invalid_envelope"'),
    ("filament_voice_sync_repairs_total", 'reason="subscribe"'),
]


def exposition(skip: str = "", emitted: dict[str, int] | None = None, dropped: int = 0) -> str:
    lines = []
    for name, labels in FAMILIES:
        if name == skip:
            continue
        lines += [f"# HELP {name} help", f"# TYPE {name} counter"]
        if name == "filament_gateway_events_emitted_total":
            lines += [f'{name}{{scope="channel",event_type="{t}"}} {n}' for t, n in (emitted or {}).items()]
        elif name == "filament_gateway_events_dropped_total":
            if dropped:
                lines.append(f"{name}{{{labels}}} {dropped}")
        else:
            lines.append(f"{name}{{{labels}}} 1")
    return "\n".join(lines) + "\n"


CT = "text/plain; version=0.0.4; charset=utf-8"


def test_metrics_surface_passes_with_every_family_and_names_a_missing_one() -> None:
    assert judge_surface(parse_exposition(exposition(), CT)).status == "passed"
    missing = judge_surface(parse_exposition(exposition(skip="filament_voice_sync_repairs_total"), CT))
    assert missing.status == "failed"
    assert "family filament_voice_sync_repairs_total is missing" in missing.message


def test_metrics_surface_names_wrong_labels() -> None:
    text = exposition().replace('scope="ingress",reason="invalid_envelope"', 'reason="invalid_envelope"')
    result = judge_surface(parse_exposition(text, CT))
    assert result.status == "failed" and "filament_gateway_events_parse_rejected_total has labels" in result.message


def window(emitted: dict[str, int], received: dict[str, int], dropped: int = 0) -> Window:
    return Window("lifecycle.message", parse_exposition(exposition(), CT),
                  parse_exposition(exposition(emitted=emitted, dropped=dropped), CT), Counter(received))


def test_reconcile_passes_when_counters_equal_deliveries() -> None:
    result = judge_reconcile([window({"message_create": 3}, {"message_create": 3})])
    assert result.status == "passed" and result.data["emitted"] == {"message_create": 3}


def test_reconcile_catches_a_silent_drop_and_an_undercount() -> None:
    drop = judge_reconcile([window({"message_update": 3}, {"message_update": 0})])
    assert drop.status == "failed" and "message_update: emitted_total moved 3, clients received 0" in drop.message
    under = judge_reconcile([window({"message_create": 1}, {"message_create": 2})])
    assert under.status == "failed" and "undercounts" in under.message
    dropped = judge_reconcile([window({"message_create": 1}, {"message_create": 1}, dropped=2)])
    assert dropped.status == "failed" and "dropped_total" in dropped.message


def test_reconcile_on_a_shared_target_only_requires_received_at_most_emitted() -> None:
    assert judge_reconcile([window({"message_update": 5}, {"message_update": 2})], exclusive=False).status == "passed"
    assert judge_reconcile([window({"message_update": 1}, {"message_update": 2})], exclusive=False).status == "failed"


@pytest.fixture
def baseline(tmp_path: Path) -> Path:
    export_json_schemas(tmp_path / "baseline")
    return tmp_path / "baseline"


def edit(directory: Path, event: str, change) -> None:
    path = directory / f"{event}.schema.json"
    schema = json.loads(path.read_text())
    change(schema)
    path.write_text(json.dumps(schema))


def test_schemas_equal_to_their_own_export_are_compatible(baseline: Path) -> None:
    assert diff_contracts(load_baseline(baseline), current_schemas()) == []
    assert judge_compatibility([], baseline).status == "passed"


def test_a_renamed_field_is_a_removed_field_and_a_new_required_one(baseline: Path) -> None:
    def rename(schema):  # the previous release called it message_ref
        schema["properties"]["message_ref"] = schema["properties"].pop("message_id")
        schema["required"] = [("message_ref" if r == "message_id" else r) for r in schema["required"]]
    edit(baseline, "message_delete", rename)
    result = judge_compatibility([], baseline)
    assert result.status == "failed"
    assert "message_delete.message_ref: field removed" in result.message
    assert any("message_delete.message_id: new required field" in line for line in result.evidence)


def test_a_type_change_and_a_removed_event_are_breaking(baseline: Path) -> None:
    edit(baseline, "ready", lambda s: s["properties"].__setitem__("user_id", {"type": "integer"}))
    index = json.loads((baseline / "index.json").read_text())
    index["events"].append({"event_type": "gone_event", "file": "ready.schema.json"})
    (baseline / "index.json").write_text(json.dumps(index))
    changes = {b.describe() for b in diff_contracts(load_baseline(baseline), current_schemas())}
    assert "ready.user_id: type changed from integer to string" in changes
    assert "gone_event: event removed" in changes


def test_wire_payloads_must_keep_v_1_and_validate_against_the_baseline(baseline: Path) -> None:
    schemas = load_baseline(baseline)
    good = WireSample("ready", 1, {"user_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "a/ws0")
    assert wire_violations([good], schemas) == []
    renamed = WireSample("ready", 1, {"uid": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "a/ws0")
    [problem] = wire_violations([renamed], schemas)
    assert "ready" in problem and "'user_id' is a required property" in problem and "uid; renamed?" in problem
    [version] = wire_violations([WireSample("ready", 2, {"user_id": "x"}, "a/ws0")], None)
    assert "envelope v is 2" in version


def test_a_baseline_that_is_not_an_export_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="index.json not found"):
        load_baseline(tmp_path)


def test_manifest_equal_to_the_catalogue_passes_and_drift_names_the_event(tmp_path: Path) -> None:
    assert judge_manifest(MANIFEST).status == "passed"
    document = json.loads(MANIFEST.read_text())
    drifted = copy.deepcopy(document)
    drifted["events"] = [e for e in drifted["events"] if e["event_type"] != "message_update"]
    drifted["events"].append({"event_type": "mls_commit", "schema_version": 1, "scope": "channel", "lifecycle": "active"})
    next(e for e in drifted["events"] if e["event_type"] == "message_reaction")["schema_version"] = 1
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(drifted))
    result = judge_manifest(path)
    assert result.status == "failed"
    text = "\n".join(result.evidence)
    assert "mls_commit: declared by the server's manifest, unknown to the harness's catalogue" in text
    assert "message_update: in the harness's catalogue, missing from the server's manifest" in text
    assert "message_reaction: schema_version 1 in the manifest, 2 in the catalogue" in text


def test_no_manifest_skips_and_a_malformed_one_is_a_usage_error(tmp_path: Path) -> None:
    assert judge_manifest(None).status == "skipped"
    bad = tmp_path / "m.json"
    bad.write_text('{"event_types": []}')
    with pytest.raises(UsageError, match="not a gateway events manifest"):
        judge_manifest(bad)
