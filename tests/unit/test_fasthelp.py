"""`envman --help` from the stored text: the same bytes as typer's, without loading typer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from envman.cli import fasthelp

# Runs the real entry point and reports, on stderr, whether typer was loaded.
ENTRY = (
    "import atexit, sys; "
    "atexit.register(lambda: sys.stderr.write(str('typer' in sys.modules))); "
    "from envman.cli import main; main()"
)
LIVE = "import sys; from envman.cli.app import run_app; run_app(sys.argv[1:])"


def run(code: str, argv: list[str], columns: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": columns}
    return subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env, check=False
    )


def test_the_stored_text_is_what_typer_prints() -> None:
    stored = Path(fasthelp.stored_path()).read_text(encoding="utf-8")
    assert stored == fasthelp.render(), "run scripts/gen-manpage"


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("columns", ["80", "132"])
def test_help_is_typers_output_without_typer(flag: str, columns: str) -> None:
    fast = run(ENTRY, [flag], columns)
    live = run(LIVE, [flag], columns)
    assert (fast.returncode, fast.stdout) == (live.returncode, live.stdout) == (0, live.stdout)
    assert fast.stdout.startswith("Usage: envman [OPTIONS] COMMAND")
    assert fast.stderr == "False"


def test_a_narrow_terminal_gets_typers_wrapping() -> None:
    fast = run(ENTRY, ["--help"], "60")
    assert fast.stdout == run(LIVE, ["--help"], "60").stdout
    assert fast.stdout != Path(fasthelp.stored_path()).read_text(encoding="utf-8")


def test_other_arguments_go_to_typer() -> None:
    result = run(ENTRY, ["ls", "--help"], "80")
    assert result.returncode == 0 and "List the environments" in result.stdout
    assert result.stderr == "True"
