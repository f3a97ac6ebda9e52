"""The sub-commands of ``sync-harness``, one module each.

Every module has ``register(subparsers)``, listed in the ``sync_harness.commands`` entry point group
(pyproject.toml) and wired by ``harness.cli``; a command's module owns its options and its work.
Shared option definitions live in :mod:`harness.commands.options`.
"""
