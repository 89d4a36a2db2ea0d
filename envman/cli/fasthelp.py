"""`envman --help` without typer: the text typer prints, stored at build time (help.txt).

Loading typer and the command tree costs ~100 ms, the help itself is fixed text. scripts/gen-manpage
writes it from the live CLI (`python -m envman.cli.fasthelp`); tests/unit/test_fasthelp.py checks it
equals typer's output. Only a terminal of 80 or more columns gets it (typer wraps narrower ones).
Imports os and sys only (see fastpath.py).
"""

from __future__ import annotations

import os
import sys

HELP_FLAGS = (["--help"], ["-h"])
WIDTH = 80  # typer (click) wraps help to min(columns, 80) - 2


def stored_path() -> str:
    """Where the generated text ships: beside this module, in the package."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "help.txt")


def columns() -> int:
    """The terminal's width as shutil.get_terminal_size (typer's source) computes it."""
    try:
        width = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        width = 0
    if width > 0:
        return width
    try:
        width = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        width = 0
    return width or WIDTH


def show(argv: list[str]) -> bool:
    """Print the stored root help for `envman --help`; False when typer must answer."""
    if argv not in HELP_FLAGS or columns() < WIDTH:
        return False
    try:
        with open(stored_path(), encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return False
    sys.stdout.write(text)
    sys.stdout.flush()
    return True


def render() -> str:
    """The root help as typer prints it at 80 columns (for scripts/gen-manpage and the test)."""
    import contextlib
    import io

    from envman.cli.app import app
    from envman.cli.words import command_tree

    out = io.StringIO()
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(WIDTH)
    try:
        with contextlib.redirect_stdout(out):
            command_tree(app).main(["--help"], prog_name="envman", standalone_mode=False)
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved
    return out.getvalue()


if __name__ == "__main__":
    sys.stdout.write(render())
