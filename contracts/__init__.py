"""The wire contract of a Filament-compatible server as pydantic v2 models and data.

``envelope`` ({v,t,d} frames), ``events`` (one payload model per server → client event), ``catalogue``
(the 36 event types with scope, schema version and actor rule), ``mutations`` (which mutation emits
which events), ``rest`` (REST response DTOs), ``profiles`` (what a client version understands) and
``export`` (JSON Schema). See docs/events.md.
"""
