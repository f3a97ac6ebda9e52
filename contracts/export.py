"""JSON Schema export of the wire contract: one file per event, the envelope, and an index.

Each event schema is pydantic's ``model_json_schema`` of the payload (``d``) model, with an ``$id``, a
title (the event type) and the catalogue facts as ``x-`` annotations, so other tools (or another
language's client) can validate payloads without this package.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contracts.catalogue import CATALOGUE, EventSpec
from contracts.envelope import Envelope

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID_PREFIX = "urn:filament-sync-harness:contracts"


def event_schema(spec: EventSpec) -> dict[str, Any]:
    """The JSON Schema of one event's ``d``, annotated with its catalogue entry."""
    schema = spec.model.model_json_schema()
    head = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"{ID_PREFIX}:event:{spec.name}:v{spec.schema_version}",
        "title": spec.name,
        "x-event-type": spec.name,
        "x-scope": spec.delivery_scope,
        "x-manifest-scope": spec.manifest_scope,
        "x-schema-version": spec.schema_version,
        "x-carries-actor": spec.carries_actor,
    }
    schema.pop("title", None)
    return {**head, **schema}


def envelope_schema() -> dict[str, Any]:
    schema = Envelope.model_json_schema()
    schema.pop("title", None)
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": f"{ID_PREFIX}:envelope", "title": "envelope", **schema}


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def export_json_schemas(directory: Path) -> list[Path]:
    """Write ``<event>.schema.json`` for all 36 events, ``envelope.schema.json`` and ``index.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = [_write(directory / f"{name}.schema.json", event_schema(spec)) for name, spec in CATALOGUE.items()]
    written.append(_write(directory / "envelope.schema.json", envelope_schema()))
    index = {
        "envelope": "envelope.schema.json",
        "events": [
            {
                "event_type": name,
                "file": f"{name}.schema.json",
                "scope": spec.delivery_scope,
                "manifest_scope": spec.manifest_scope,
                "schema_version": spec.schema_version,
                "carries_actor": spec.carries_actor,
            }
            for name, spec in CATALOGUE.items()
        ],
    }
    written.append(_write(directory / "index.json", index))
    return written
