"""User rows about profiles (REST.md §6.6, §6.8; GATEWAY.md §6.3): a profile event of pat reaches
every session of pat, pat's friends and the users sharing a guild with pat — and nobody else.

The co-member watches the guild it shares with pat (so its client shows pat's name and must keep it
current); the friend shares no guild; the unrelated user is connected in a guild of its own.
"""
from __future__ import annotations

from harness.engine.scenario import ScenarioSpec
from scenarios.dsl import allowed, rejected, scenario
from scenarios.observers import profile_audience
from scenarios.worlds import social


def update() -> ScenarioSpec:
    return scenario(
        "row.profile.update", "a rename and an about text reach pat's sessions, friend and co-member only",
        rows=["profile.update"], world=social(), observers=profile_audience(),
        steps=[rejected("profile.update", actor="pat", username="cora"),
               allowed("profile.update", actor="pat", username="patricia", about="hello **there**"),
               allowed("profile.update", actor="pat", about="")])


def avatar() -> ScenarioSpec:
    return scenario(
        "row.profile.avatar", "a new avatar version reaches pat's observers only; a non-image is refused",
        rows=["profile.avatar"], world=social(), observers=profile_audience(),
        steps=[rejected("profile.avatar", actor="pat", data="not an image", content_type=None),
               allowed("profile.avatar", actor="pat")])


def banner() -> ScenarioSpec:
    return scenario(
        "row.profile.banner", "a new banner version reaches pat's observers only",
        rows=["profile.banner"], world=social(), observers=profile_audience(),
        steps=[rejected("profile.banner", actor="pat", content_type="image/jpeg"),
               allowed("profile.banner", actor="pat")])


def catalogue() -> list[ScenarioSpec]:
    return [update(), avatar(), banner()]
