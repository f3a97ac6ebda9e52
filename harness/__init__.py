"""filament-sync-harness: end-to-end realtime sync checks for Filament-compatible servers.

The engine (everything under ``harness/`` except ``harness/reference/``) never imports the embedded
reference target: the reference target is just one target among others.
"""
