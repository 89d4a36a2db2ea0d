"""Metavars that read as words (NAME, DIR, [PROFILE]...) across the whole command tree."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperArgument, TyperOption


class WordArgument(TyperArgument):
    """An argument shown as NAME, [NAME] or NAME... (typer's own shows `{name}`)."""

    def make_metavar(self, ctx: Any, *, usage: bool = False) -> str:  # noqa: ARG002
        word = self.metavar or (self.name or "").upper()
        if self.nargs != 1 and not word.endswith("..."):
            word += "..."
        return f"[{word}]" if usage and not self.required else word


def fix_metavars(command: Any) -> None:
    """Give every argument and valued option of `command` and its subcommands a word metavar."""
    for param in command.params:
        if isinstance(param, TyperArgument):
            param.__class__ = WordArgument
        elif isinstance(param, TyperOption) and not param.is_flag and param.metavar is None:
            param.metavar = (param.name or "VALUE").upper().replace("_", "-")
    for sub in getattr(command, "commands", {}).values():
        fix_metavars(sub)


def command_tree(app: typer.Typer) -> Any:
    """The click command of `app`, with word metavars and examples."""
    from envman.cli.examples import add_examples

    command = typer.main.get_command(app)
    fix_metavars(command)
    add_examples(command)
    return command
