"""`envman lock | outdated | update`: pin profiles' inputs in envman.lock and move them on."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from envman.cli.common import JSON_OPTION, context
from envman.cli.output import emit_json, say, table

NAMES = Annotated[
    list[str] | None, typer.Argument(help="Profiles (default: every profile of ./profiles).")
]


def lock(names: NAMES = None, json_out: JSON_OPTION = False) -> None:
    """Write envman.lock beside the profiles: base digest, file and source revisions, hash."""
    from envman.ops.lockfile import lock as do_lock

    results = do_lock(context(), list(names or ()))
    if json_out:
        emit_json(results)
        return
    for result in results:
        say(f"{result.name}: locked in {result.lock}")
        say(f"  base {result.base}")
        for source in result.sources:
            say(f"  source {source}")


def outdated(names: NAMES = None, json_out: JSON_OPTION = False) -> None:
    """Show locked inputs that have newer versions: base digests, source commits and tags.

    Exits 0 when everything is as locked and 1 when something is outdated (like `git diff
    --exit-code`), with or without --json.
    """
    from envman.ops.lockfile import outdated as do_outdated

    rows = do_outdated(context(), list(names or ()))
    if json_out:
        emit_json(rows)
    elif not rows:
        say("everything is as locked")
    else:
        body = [(r.profile, r.input, r.locked, r.now, r.note) for r in rows]
        sys.stdout.write(table(body, ("PROFILE", "INPUT", "LOCKED", "NOW", "NOTE")))
    if rows:
        raise typer.Exit(1)


def update(names: NAMES = None, json_out: JSON_OPTION = False) -> None:
    """Move envman.lock to the current inputs (default: every locked profile of ./profiles)."""
    from envman.ops.lockfile import update as do_update

    results = do_update(context(), list(names or ()))
    if json_out:
        emit_json(results)
        return
    for result in results:
        say(f"{result.name}: lock updated ({result.content_hash[:12]})")


def register(app: typer.Typer) -> None:
    """Add these commands to the root app."""
    for command in (lock, outdated, update):
        app.command()(command)
