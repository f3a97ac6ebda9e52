"""The base of every wire model: strict types, tolerated-but-reported extra members, omit-not-null.

Three rules of the contract shape every model here (GATEWAY.md §2.1, §4; REST.md §1):

* **Strict types.** A JSON string is never coerced to an integer and a boolean is never an integer,
  because the real web client rejects such payloads (``Number.isSafeInteger``, ``typeof``). Models use
  pydantic strict mode; enum members are the one exception (``WireEnum``): in Python-mode strict
  validation pydantic would demand enum *instances*, while on the wire they are plain strings.
* **Unknown members are tolerated but reported.** The web client accepts additive fields, so an extra
  member is not a schema error; ``unknown_field_paths`` lists them so the contract check can warn.
* **Optional means "may be omitted", never null.** The server omits absent optional fields. ``Omittable[T]``
  accepts an absent member (attribute value None) and rejects an explicit JSON null. The two documented
  nullable spots (``fenced_code.language``, ``workspace_role_update.updated_fields.color_hex``) are
  declared ``T | None`` directly instead.
"""
from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, ValidationError

T = TypeVar("T")
E = TypeVar("E", bound=Enum)


class WireModel(BaseModel):
    """A JSON object of the wire contract: strict scalar types, extra members allowed (and reported)."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)


class ClosedWireModel(WireModel):
    """A JSON object whose member set is closed by the contract: an unknown member is an error."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def _reject_null(value: Any) -> Any:
    if value is None:
        raise ValueError("null is not allowed here: an absent optional member must be omitted")
    return value


def _drop_null_branch(schema: dict[str, Any]) -> None:
    """JSON Schema of ``Omittable[T]``: the member is optional (not in ``required``) but never null."""
    branches = schema.pop("anyOf", None)
    if branches is not None:
        kept = [branch for branch in branches if branch != {"type": "null"}]
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept
    if "default" in schema and schema["default"] is None:
        del schema["default"]


Omittable = Annotated[T | None, BeforeValidator(_reject_null), Field(json_schema_extra=_drop_null_branch)]
"""An optional member: may be omitted (attribute is None), must not be JSON null. Give it ``= None``."""

WireEnum = Annotated[E, Strict(False)]
"""An enum carried as its string value. Lax only for the enum lookup; the value set stays closed."""


def unknown_field_paths(model: BaseModel, prefix: str = "") -> list[str]:
    """Dotted paths of every member the contract does not declare, at any depth (list index as segment)."""
    paths = [f"{prefix}{name}" for name in (model.model_extra or {})]
    for name in type(model).model_fields:
        paths.extend(_unknown_in_value(getattr(model, name), f"{prefix}{name}"))
    return paths


def _unknown_in_value(value: Any, path: str) -> list[str]:
    if isinstance(value, BaseModel):
        return unknown_field_paths(value, f"{path}.")
    if isinstance(value, (list, tuple)):
        found: list[str] = []
        for index, item in enumerate(value):
            found.extend(_unknown_in_value(item, f"{path}.{index}"))
        return found
    return []


def format_validation_errors(error: ValidationError) -> list[str]:
    """One ``path: message`` line per pydantic error; never includes the offending input value."""
    lines = []
    for item in error.errors(include_input=False, include_url=False):
        path = ".".join(str(part) for part in item["loc"]) or "(root)"
        lines.append(f"{path}: {item['msg']}")
    return lines
