"""Properties over every event example (Hypothesis)."""
from __future__ import annotations

import copy
from typing import Any, Iterator

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from contracts.catalogue import CATALOGUE, validate_event
from contracts.examples import example_payload


def required_paths(model: BaseModel, data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of every member the contract requires, at any depth, in this concrete payload."""
    for name, info in type(model).model_fields.items():
        if name not in data:
            continue
        if info.is_required():
            yield prefix + (name,)
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from required_paths(value, data[name], prefix + (name,))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from required_paths(item, data[name][index], prefix + (name, index))


def _deleted(data: Any, path: tuple[Any, ...]) -> Any:
    data = copy.deepcopy(data)
    node = data
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return data


CASES = sorted(
    (event_type, path)
    for event_type in CATALOGUE
    for path in required_paths(validate_event(event_type, example_payload(event_type)).payload,
                               example_payload(event_type))
)


def test_every_event_has_required_members() -> None:
    assert {event_type for event_type, _ in CASES} == set(CATALOGUE)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CASES))
def test_deleting_any_required_member_fails_validation(case: tuple[str, tuple[Any, ...]]) -> None:
    event_type, path = case
    result = validate_event(event_type, _deleted(example_payload(event_type), path))
    assert not result.ok, f"{event_type}: deleting {path} still validates"


_SCALAR_SWAPS = st.sampled_from([True, "1", 1.5, None, [], {}])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CASES), _SCALAR_SWAPS)
def test_replacing_a_required_integer_or_string_with_another_json_type_fails(
    case: tuple[str, tuple[Any, ...]], replacement: Any
) -> None:
    event_type, path = case
    data = example_payload(event_type)
    node = data
    for part in path[:-1]:
        node = node[part]
    original = node[path[-1]]
    if type(original) not in (int, str) or type(replacement) is type(original):
        return
    node[path[-1]] = replacement
    assert not validate_event(event_type, data).ok
