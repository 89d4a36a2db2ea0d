"""envman(1): the man page, rendered from the typer command tree (scripts/gen-manpage)."""

from __future__ import annotations

import inspect
import re
from typing import Any

import typer

from envman import __version__
from envman.cli.examples import EXAMPLES
from envman.errors import ExitCode

SEE_ALSO = r"\fBpodman\fR(1), \fBpodman\-exec\fR(1), \fBdistrobox\fR(1), \fBtoolbox\fR(1)"


def escape(text: str) -> str:
    """Text safe in roff: backslashes and hyphens escaped, no line starting a request."""
    text = text.replace("\\", r"\e").replace("-", r"\-")
    return "\n".join(
        r"\&" + line if line.startswith((".", "'")) else line for line in text.split("\n")
    )


def paragraphs(help_text: str) -> list[str]:
    """The help's paragraphs, each joined into one line (roff fills them)."""
    cleaned = inspect.cleandoc(help_text or "")
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", cleaned) if p.strip()]


def leaves(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every runnable command, in the order `envman --help` lists them."""
    subs = getattr(command, "commands", None)
    if not subs:
        return [(path, command)]
    return [leaf for name, sub in subs.items() for leaf in leaves(sub, (*path, name))]


def _command(path: tuple[str, ...], command: Any, root_ctx: Any) -> list[str]:
    ctx = typer.Context(command, info_name=" ".join(path), parent=root_ctx)
    usage = " ".join(["envman", *path, *command.collect_usage_pieces(ctx)])
    out = [f'.SS "{escape(usage)}"']
    for number, paragraph in enumerate(paragraphs(command.help or "")):
        out += ([".PP"] if number else []) + [escape(paragraph)]
    for param in command.params:
        record = param.get_help_record(ctx)
        if record:
            out += [".TP", rf"\fB{escape(record[0])}\fR", escape(" ".join(record[1].split()))]
    examples = EXAMPLES.get(" ".join(path), ())
    if examples:
        out += [".PP", "Examples:", ".RS", ".nf", *map(escape, examples), ".fi", ".RE"]
    return out


def render(root: Any) -> str:
    """The whole page; deterministic (no date), so it can be golden-tested."""
    root_ctx = typer.Context(root, info_name="envman")
    summary = paragraphs(root.help or "")[0].rstrip(".")
    out = [
        f'.TH ENVMAN 1 "" "envman {__version__}" "User Commands"',
        ".SH NAME",
        rf"envman \- {escape(summary[0].lower() + summary[1:])}",
        ".SH SYNOPSIS",
        r".B envman",
        r"[\fIOPTIONS\fR] \fICOMMAND\fR [\fIARGS\fR]...",
        ".SH DESCRIPTION",
        escape(" ".join(paragraphs(root.help or ""))),
        ".PP",
        r"Every command takes \fB\-h\fR/\fB\-\-help\fR; \fBenvman help\fR \fICOMMAND\fR shows the "
        r"same text. Options after \fB\-\-\fR belong to the command \fBenvman run\fR runs.",
        ".SH OPTIONS",
    ]
    for param in root.params:
        record = param.get_help_record(root_ctx)
        if record:
            out += [".TP", rf"\fB{escape(record[0])}\fR", escape(record[1])]
    out.append(".SH COMMANDS")
    for path, command in leaves(root):
        out += _command(path, command, root_ctx)
    out += [".SH EXIT STATUS", ".TP", "0", "Success."]
    codes = {k: v for k, v in vars(ExitCode).items() if k.isupper()}
    for key, value in sorted(codes.items(), key=lambda kv: kv[1]):
        if value:
            out += [".TP", str(value), escape(key.replace("_", " ").lower())]
    out += [".SH SEE ALSO", SEE_ALSO, ""]
    return "\n".join(out)


def main() -> None:
    """Print the page (scripts/gen-manpage writes it to man/envman.1)."""
    import sys

    from envman.cli.app import app
    from envman.cli.words import command_tree

    sys.stdout.write(render(command_tree(app)))


if __name__ == "__main__":
    main()
