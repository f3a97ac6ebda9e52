"""The reference server: aiohttp app (app.py), SQLite store (store.py), permission model
(permissions.py), gateway (gateway.py) and the single outbound-event path (emitter.py)."""
