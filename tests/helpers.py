"""Test helpers shared by the suites: golden files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def assert_golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME; ENVMAN_UPDATE_GOLDEN=1 rewrites the file instead."""
    golden = REPO / "tests" / "golden" / name
    if os.environ.get("ENVMAN_UPDATE_GOLDEN") == "1" or not golden.exists():
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
        if os.environ.get("ENVMAN_UPDATE_GOLDEN") != "1":
            pytest.fail(
                f"golden file {golden} was missing and has been written: review and commit it"
            )
    assert text == golden.read_text(encoding="utf-8"), f"differs from {golden}"
