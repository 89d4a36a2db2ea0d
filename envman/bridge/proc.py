"""The bridge's one door to other programs (flatpak, systemctl), through envman.runner."""

from __future__ import annotations

from collections.abc import Mapping

from envman import runner

TIMEOUT = 60.0


def run(
    argv: list[str],
    *,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
) -> tuple[int, str, str]:
    """Run ARGV without a shell and wait: (exit status, stdout, stderr); 127 when it is missing."""
    done = runner.run(argv, env=env, input_text=input, timeout=TIMEOUT)
    return done.returncode, done.stdout, done.stderr


def which(program: str) -> str | None:
    """The absolute path of PROGRAM on PATH, or None."""
    return runner.which(program)
