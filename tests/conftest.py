"""Shared fixtures and rules for the test suite.

A test that needs an optional tool (PyTorch, Chromium) is skipped with a clear reason on a reader's machine, but
under CI (``CI=true``) the same skip is a failure: CI must run every check.
"""

import importlib
import os

import numpy as np
import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason):
    """Skip with ``reason``, or fail under CI, where nothing may be skipped."""
    if IN_CI:
        pytest.fail(f"CI=true, so this check may not be skipped: {reason}")
    pytest.skip(reason)


def import_or_skip(module_name, install_hint):
    """Import an optional module, or skip (fail under CI) saying how to install it."""
    try:
        return importlib.import_module(module_name)
    except ImportError:
        skip_or_fail(f"{module_name} is not installed; {install_hint}")


@pytest.fixture
def rng():
    """A seeded generator, so every failure can be reproduced."""
    return np.random.default_rng(20261130)
