"""The embedded reference target: a Python implementation of Filament's REST API, WebSocket gateway
and static web client serving (see docs/reference-target.md). Run it with `python -m harness.reference`.

The harness engine never imports this package; it starts it as a subprocess.
"""
