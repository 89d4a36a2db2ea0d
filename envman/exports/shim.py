"""The launcher shim exports call: one stable path that finds the current envman."""

from __future__ import annotations

import sys
from pathlib import Path

from envman.exports.launcher import launcher_shim
from envman.host.files import write_atomic
from envman.paths import Paths


def current_envman() -> list[str]:
    """How to run the envman that is running now: its console script, else python -m envman."""
    script = Path(sys.executable).parent / "envman"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "envman"]


def shim_path(paths: Paths) -> Path:
    """$XDG_DATA_HOME/envman/bin/envman."""
    return paths.data / "bin" / "envman"


def launcher_argv(paths: Paths) -> list[str]:
    """The shim's path, after making sure it points at the current envman."""
    path = shim_path(paths)
    text = launcher_shim(current_envman())
    try:
        if path.read_text(encoding="utf-8") == text:
            return [str(path)]
    except OSError:
        pass
    write_atomic(path, text, mode=0o755)
    return [str(path)]
