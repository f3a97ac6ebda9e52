"""The rollout checklist (`sync-harness rollout`): Filament's pre-release checks as named items.

One module per item (surface, telemetry, reconcile, compatibility, manifest, smoke, fallback), the
shared pieces (checklist.py: results; metrics.py: /metrics snapshots; context.py: what every item gets)
and checklist_run.py, which runs them in order against one target. docs/rollout.md describes each item.
"""
