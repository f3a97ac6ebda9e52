"""Targets: a running system under test and its URLs (reference, command:, url:, the tampering proxy).

See docs/architecture.md ("The seams") and :mod:`harness.targets.base`.
"""
from harness.targets.base import Target
from harness.targets.factory import TARGET_FORMS, make_target

__all__ = ["Target", "make_target", "TARGET_FORMS"]
