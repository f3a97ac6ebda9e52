"""JSON Schema export."""
from __future__ import annotations

import json
from pathlib import Path

from contracts.catalogue import CATALOGUE
from contracts.export import export_json_schemas


def test_export_writes_valid_json_for_every_event(tmp_path: Path) -> None:
    written = export_json_schemas(tmp_path / "schemas")
    names = {p.name for p in written}
    assert names == {f"{n}.schema.json" for n in CATALOGUE} | {"envelope.schema.json", "index.json"}
    ids = set()
    for name, spec in CATALOGUE.items():
        schema = json.loads((tmp_path / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
        assert schema["title"] == name
        assert schema["type"] == "object"
        assert schema["x-scope"] == spec.delivery_scope
        assert schema["x-manifest-scope"] == spec.manifest_scope
        assert schema["x-schema-version"] == spec.schema_version
        assert set(schema["required"]) == {k for k, f in spec.model.model_fields.items() if f.is_required()}
        ids.add(schema["$id"])
    assert len(ids) == 36


def test_optional_members_are_not_nullable_in_the_schema(tmp_path: Path) -> None:
    export_json_schemas(tmp_path)
    update = json.loads((tmp_path / "workspace_update.schema.json").read_text())
    actor = update["properties"]["actor_user_id"]
    assert actor["type"] == "string" and "anyOf" not in actor and "default" not in actor
    fields = update["$defs"]["WorkspaceUpdatedFields"]
    assert fields["additionalProperties"] is False
    assert fields["anyOf"] == [{"required": ["name"]}, {"required": ["visibility"]}]


def test_envelope_schema_and_index(tmp_path: Path) -> None:
    export_json_schemas(tmp_path)
    envelope = json.loads((tmp_path / "envelope.schema.json").read_text())
    assert envelope["required"] == ["v", "t", "d"]
    assert envelope["additionalProperties"] is False
    assert envelope["properties"]["v"] == {"const": 1, "title": "V", "type": "integer"}
    index = json.loads((tmp_path / "index.json").read_text())
    assert [e["event_type"] for e in index["events"]] == list(CATALOGUE)
    reaction = next(e for e in index["events"] if e["event_type"] == "message_reaction")
    assert reaction["schema_version"] == 2
