"""Fixtures for unit tests that run operations on the fake engine (a module may override)."""

from __future__ import annotations

import pytest

from envman.ops.context import Context
from envman.paths import Paths
from tests.fake_engine import BASE, FakeEngine


@pytest.fixture
def engine() -> FakeEngine:
    """A fake podman that has the local Debian base image."""
    fake = FakeEngine()
    fake.add_image((BASE,))
    return fake


@pytest.fixture
def ctx(paths: Paths, engine: FakeEngine) -> Context:
    """A context on the fake engine that never waits for a lock."""
    return Context(paths=paths, _engine=engine, wait=0)  # type: ignore[arg-type]
