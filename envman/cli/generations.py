"""`envman history | rollback | pin | unpin | gc`: generations of environments, and cleanup."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from envman.cli.common import ENV_NAME, JSON_OPTION, WAIT_OPTION, context
from envman.cli.output import emit_json, note, say, table

if TYPE_CHECKING:
    from envman.ops.exports import Unexported

ENV = ENV_NAME
GEN = Annotated[int, typer.Argument(help="Generation number (see envman history).")]


def history(name: ENV, json_out: JSON_OPTION = False) -> None:
    """List an environment's generations, newest first; * marks the one that runs."""
    from envman.ops.generations import history as do_history

    rows = do_history(context(), name)
    if json_out:
        emit_json(rows)
        return
    body = [
        (
            ("*" if r.current else " ") + str(r.number),
            r.version or "-",
            r.content_hash,
            (r.image_id if r.image_present else f"{r.image_id} (gone)")
            + (f" pulled from {r.pulled_from}" if r.pulled_from else ""),
            r.created,
            r.source + (f"@{r.revision[:12]}" if r.revision else ""),
            "pinned" if r.pinned else "",
        )
        for r in rows
    ]
    header = ("GEN", "VERSION", "HASH", "IMAGE", "CREATED", "SOURCE", "")
    sys.stdout.write(table(body, header))


def rollback(
    name: ENV,
    generation: Annotated[
        int | None, typer.Argument(help="Generation to switch to (default: the previous one).")
    ] = None,
    json_out: JSON_OPTION = False,
    wait: WAIT_OPTION = False,
) -> None:
    """Switch an environment back to an earlier generation's image, without building."""
    from envman.ops.generations import rollback as do_rollback

    result = do_rollback(context(wait=wait), name, generation)
    if json_out:
        emit_json(result)
        return
    say(f"{name}: generation {result.from_generation} -> {result.to_generation}")
    if result.kept:
        note(
            f"`envman up {name}` keeps generation {result.to_generation} until the profile changes"
        )


def pin(
    name: ENV, generation: GEN, json_out: JSON_OPTION = False, wait: WAIT_OPTION = False
) -> None:
    """Keep a generation from ever being collected by gc."""
    _set_pin(name, generation, pinned=True, json_out=json_out, wait=wait)


def unpin(
    name: ENV, generation: GEN, json_out: JSON_OPTION = False, wait: WAIT_OPTION = False
) -> None:
    """Let gc collect a generation again."""
    _set_pin(name, generation, pinned=False, json_out=json_out, wait=wait)


def _set_pin(name: str, generation: int, *, pinned: bool, json_out: bool, wait: bool) -> None:
    from envman.ops.generations import pin as do_pin

    do_pin(context(wait=wait), name, generation, pinned=pinned)
    if json_out:
        emit_json({"name": name, "generation": generation, "pinned": pinned})
        return
    say(f"{name}: generation {generation} {'pinned' if pinned else 'unpinned'}")


def gc(
    keep: Annotated[
        int | None,
        typer.Option(
            min=0,
            metavar="N",
            help="The newest generations to keep per environment; the current and pinned ones "
            "are always kept (default: config, else 2; 0: only those).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be removed; remove nothing.")
    ] = False,
    json_out: JSON_OPTION = False,
    wait: WAIT_OPTION = False,
) -> None:
    """Remove old unpinned generations and their images, and exports of removed environments.

    An environment another envman is changing is skipped (say --wait to wait for it); an image
    another container still uses is kept, with a note naming it.
    """
    from envman.ops.exports import gc as gc_exports
    from envman.ops.generations import gc as gc_generations

    ctx = context(wait=wait)
    keep_n = ctx.config.keep_generations if keep is None else keep
    collected = gc_generations(ctx, keep_n, dry_run=dry_run)
    exports = gc_exports(ctx, dry_run=dry_run)
    if json_out:
        emit_json({"dry_run": dry_run, "generations": collected, "exports": exports})
        return
    verb = "would remove" if dry_run else "removed"
    if dry_run:
        say("dry run: nothing removed")
    for result in collected:
        numbers = ", ".join(map(str, result.generations))
        say(
            f"{result.name}: {verb} generation(s) {numbers}, {len(result.images)} image(s) "
            f"{' '.join(result.images)}, up to {result.freed_bytes / 1e6:.1f} MB freed "
            "(layers shared with kept images stay)"
        )
    for removed in exports:
        _show_unexported(removed, verb, dry_run=dry_run)
    if not collected and not exports:
        say("nothing to collect")


def _show_unexported(removed: Unexported, verb: str, *, dry_run: bool) -> None:
    say(f"{removed.env}: {verb} {len(removed.removed)} exported file(s)")
    for path in removed.removed if dry_run else ():
        say(f"  {path}")
    for path in removed.kept:
        note(f"kept {path}: changed since envman exported it")


def register(app: typer.Typer) -> None:
    """Add these commands to the root app."""
    for command in (history, rollback, pin, unpin, gc):
        app.command()(command)
