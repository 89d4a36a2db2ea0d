"""`envman help CMD`, the completion scripts, and "did you mean" hints for unknown names."""

from __future__ import annotations

import re
from typing import Any

import typer

from envman.errors import EnvmanError, UsageError

SHELLS = ("bash", "zsh", "fish")
_UNKNOWN = {
    "environment": re.compile(r"^no environment named '(.+)'$"),
    "profile": re.compile(r"^no profile named '(.+)'$"),
}


def show_help(ctx: typer.Context, words: list[str]) -> str:
    """The help text of the command `words` names (envman's own for none)."""
    parent = ctx.parent
    assert parent is not None  # `help` always runs under the root command
    command: Any = parent.command
    current: Any = parent
    for word in words:
        commands = getattr(command, "commands", {})
        if word not in commands:
            from envman.cli.names import did_you_mean

            known = sorted(commands)
            raise UsageError(
                f"no command '{word}'", did_you_mean(word, known) or f"commands: {', '.join(known)}"
            )
        command = commands[word]
        current = typer.Context(command, info_name=word, parent=current)
    return str(command.get_help(current)).rstrip("\n")


def completion_script(shell: str) -> str:
    """typer's completion script for `shell`, for the `envman` command."""
    if shell not in SHELLS:
        raise UsageError(f"no completion for shell '{shell}'", f"use one of {', '.join(SHELLS)}")
    from typer._completion_shared import get_completion_script

    script = get_completion_script(prog_name="envman", complete_var="_ENVMAN_COMPLETE", shell=shell)
    return script.strip("\n") + "\n"


def enable_completion() -> None:
    """Register typer's bash/zsh/fish completion (the app is built without its options)."""
    from typer._completion_classes import completion_init

    completion_init()


def suggest(exc: EnvmanError) -> str | None:
    """The error's hint, led by "did you mean" when an unknown name is close to a known one."""
    from envman.cli import names

    for kind, pattern in _UNKNOWN.items():
        match = pattern.match(exc.message)
        if match:
            known = names.env_names() if kind == "environment" else names.profile_names()
            close = names.did_you_mean(match.group(1), known)
            if close:
                return f"{close} {exc.hint}" if exc.hint else close
    return exc.hint
