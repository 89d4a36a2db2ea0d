"""Integration tests drive real podman; the gate itself lives in tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.envman_cli import Envman, make_envman


@pytest.fixture
def envman(tmp_path: Path) -> Envman:
    """An isolated envman user of its own (a test module may define its own `envman`)."""
    return make_envman(tmp_path)
