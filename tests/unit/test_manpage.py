"""The man page: generated from the command tree, current in man/envman.1, in the wheel."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from envman.cli.app import app
from envman.cli.manpage import escape, leaves, render
from envman.cli.words import command_tree

REPO = Path(__file__).resolve().parent.parent.parent
PAGE = REPO / "man" / "envman.1"


def test_the_committed_page_is_what_the_generator_gives() -> None:
    generated = render(command_tree(app))
    assert PAGE.read_text(encoding="utf-8") == generated, "run scripts/gen-manpage"


def test_the_page_lists_every_command_with_its_options() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for path, command in leaves(command_tree(app)):
        assert f'.SS "envman {escape(" ".join(path))} ' in text, path
        for param in command.params:
            for opt in getattr(param, "opts", ()):
                if opt.startswith("-"):
                    assert escape(opt) in text, (path, opt)


def test_escaping_keeps_roff_requests_out() -> None:
    assert escape(".start\n'quote\na-b\\c") == "\\&.start\n\\&'quote\na\\-b\\ec"


def test_the_wheel_installs_the_page() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    shared = config["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"]
    assert shared == {"man/envman.1": "share/man/man1/envman.1"}


def test_groff_reads_the_page_without_warnings() -> None:
    result = subprocess.run(
        ["groff", "-man", "-ww", "-z", str(PAGE)], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")


def test_the_generator_module_prints_the_same_page() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "envman.cli.manpage"], capture_output=True, text=True, check=True
    )
    assert result.stdout == PAGE.read_text(encoding="utf-8")
