"""Shared test fixtures: isolated XDG directories and the podman gate (fail, not skip, in CI)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from envman.paths import Paths

REPO = Path(__file__).resolve().parent.parent


def podman_works() -> bool:
    """Whether a rootful podman answers here."""
    if shutil.which("podman") is None:
        return False
    result = subprocess.run(
        ["podman", "info", "--format", "{{.Host.OCIRuntime.Name}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0


_PODMAN: dict[str, bool] = {}


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked `podman` skip without podman, and fail instead when CI requires it."""
    if item.get_closest_marker("podman") is None and item.get_closest_marker("rootless") is None:
        return
    if "works" not in _PODMAN:
        _PODMAN["works"] = podman_works()
    if not _PODMAN["works"]:
        if os.environ.get("ENVMAN_REQUIRE_PODMAN") == "1":
            pytest.fail("podman is required here (ENVMAN_REQUIRE_PODMAN=1) but `podman info` fails")
        pytest.skip("podman is not available")


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Fresh XDG config/state/cache dirs and a working directory, for the process and children."""
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        path = tmp_path / var.lower()
        path.mkdir()
        monkeypatch.setenv(var, str(path))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path


@pytest.fixture
def paths(xdg: Path) -> Paths:
    """Paths built from the isolated environment."""
    return Paths.from_env(cwd=xdg / "work")
