"""`envman export | unexport | exports`: apps and binaries of environments on the host."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envman.cli.common import ENV_NAME, JSON_OPTION, WAIT_OPTION, context
from envman.cli.output import emit_json, note, say, table
from envman.errors import UsageError

if TYPE_CHECKING:
    from envman.ops.exports import WrittenExport

ENV = ENV_NAME
APPS = Annotated[
    list[str] | None,
    typer.Option(
        "--app", metavar="APP", help="Desktop file id (org.gnome.Foo) or a .desktop path inside."
    ),
]
BINS = Annotated[
    list[str] | None,
    typer.Option("--bin", metavar="PATH", help="Absolute path of a binary inside."),
]


def export(
    name: ENV,
    *,
    app: APPS = None,
    bin_: BINS = None,
    no_label: Annotated[
        bool, typer.Option("--no-label", help="Do not add ' (NAME)' to the app's menu name.")
    ] = False,
    bins_path: Annotated[
        Path | None,
        typer.Option(metavar="DIR", help="Directory for binary wrappers (default ~/.local/bin)."),
    ] = None,
    list_: Annotated[
        bool,
        typer.Option(
            "--list",
            help="List the apps and binaries that can be exported (those the host's PATH has "
            "too only with --json), marking the exported ones; export nothing.",
        ),
    ] = False,
    json_out: JSON_OPTION = False,
    wait: WAIT_OPTION = False,
) -> None:
    """Put an environment's apps in the host menu and its binaries on the host PATH."""
    from envman.ops.envs import changing
    from envman.ops.exports import export_app, export_bin

    if list_:
        if app or bin_:
            raise UsageError("--list exports nothing", "give either --list or --app/--bin")
        _list(name, json_out)
        return
    if not app and not bin_:
        raise UsageError("nothing to export", "give --app ID, --bin PATH (repeatable) or --list")
    ctx = context(wait=wait)
    with changing(ctx, name):
        results = [export_app(ctx, name, a, label=not no_label) for a in app or ()]
        results += [export_bin(ctx, name, b, bins_dir=bins_path) for b in bin_ or ()]
    if json_out:
        emit_json(results)
        return
    for result in results:
        _show_export(name, result)


def _show_export(name: str, result: WrittenExport) -> None:
    for warning in result.warnings:
        note(f"warning: {warning}")
    say(f"{name}: exported {result.key}")
    for path in result.files:
        say(f"  {path}")


def _list(name: str, json_out: bool) -> None:
    from envman.ops.exports import exportable

    rows = exportable(context(), name)
    if json_out:
        emit_json(rows)
        return
    shown = [r for r in rows if not r.on_host]
    body = [(r.kind, r.name, "yes" if r.exported else "-", f"--{r.kind} {r.key}") for r in shown]
    sys.stdout.write(table(body, ("KIND", "NAME", "EXPORTED", "EXPORT WITH")))
    hidden = len(rows) - len(shown)
    if hidden:
        note(f"{hidden} binaries the host's PATH also has are not listed (--json lists them)")


def unexport(
    name: ENV,
    *,
    app: APPS = None,
    bin_: BINS = None,
    every: Annotated[bool, typer.Option("--all", help="Every export of the environment.")] = False,
    json_out: JSON_OPTION = False,
    wait: WAIT_OPTION = False,
) -> None:
    """Remove exported launchers, icons and wrappers: exactly the files envman recorded."""
    from envman.ops.envs import changing
    from envman.ops.exports import unexport as do_unexport

    if not app and not bin_ and not every:
        raise UsageError("nothing to unexport", "give --app ID, --bin PATH or --all")
    ctx = context(wait=wait)
    with changing(ctx, name):
        result = do_unexport(ctx, name, apps=tuple(app or ()), bins=tuple(bin_ or ()), every=every)
    if json_out:
        emit_json(result)
        return
    for key in result.keys:
        say(f"{name}: unexported {key}")
    for path in result.kept:
        note(f"kept {path}: changed since envman exported it")


def exports(
    name: Annotated[str | None, typer.Argument(help="Environment name (default: all).")] = None,
    json_out: JSON_OPTION = False,
) -> None:
    """List what is exported, and whether each file is still as envman wrote it."""
    from envman.ops.exports import list_exports

    rows = list_exports(context(), name)
    if json_out:
        emit_json(rows)
        return
    body = [(r.env, r.kind, r.key, r.origin, r.status, " ".join(r.files)) for r in rows]
    sys.stdout.write(table(body, ("ENV", "KIND", "EXPORT", "FROM", "STATUS", "FILES")))


def register(app: typer.Typer) -> None:
    """Add these commands to the root app."""
    app.command()(export)
    app.command()(unexport)
    app.command()(exports)
