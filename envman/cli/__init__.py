"""The `envman` entry point: `run`/`enter` take a fast path that never loads typer or podman-py."""

from __future__ import annotations

import sys

FAST_COMMANDS = ("run", "enter")


def main() -> None:
    """Console-script entry: dispatch the hot path first, everything else through typer."""
    argv = sys.argv[1:]
    if argv and argv[0] in FAST_COMMANDS:
        from envman.fastpath import main as fast_main

        sys.exit(fast_main(argv))
    from envman.cli.app import run_app

    run_app(argv)
