"""The `envman` entry point: `run`/`enter`, `--help`, `ls` and `up NAME` never load typer."""

from __future__ import annotations

import sys

FAST_COMMANDS = ("run", "enter")


def main() -> None:
    """Console-script entry: dispatch the hot path first, everything else through typer."""
    argv = sys.argv[1:]
    if argv and argv[0] in FAST_COMMANDS:
        from envman.fastpath import main as fast_main

        sys.exit(fast_main(argv))
    from envman.cli.fasthelp import show

    if show(argv):
        sys.exit(0)
    from envman.cli.plain import dispatch

    if dispatch(argv):
        return
    from envman.cli.app import run_app

    run_app(argv)
