"""`envman source`: team sources, git repositories of profiles and hooks (add, list, sync, rm)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from envman.cli.common import JSON_OPTION, context
from envman.cli.output import emit_json, note, say, table

if TYPE_CHECKING:
    from envman.sources.sync import Synced

app = typer.Typer(
    help="Team sources: git repositories of profiles, addressed SOURCE/PROFILE[@REF].",
    no_args_is_help=True,
    rich_markup_mode=None,
)

SOURCE = Annotated[str, typer.Argument(help="Source name (letters, digits, '.', '_', '-').")]
WAIT = Annotated[
    bool,
    typer.Option(
        "--wait", help="When another envman is changing the sources, wait for it however long."
    ),
]


def _wait(wait: bool) -> float | None:
    from envman.host.writer_locks import DEFAULT_WAIT

    return None if wait else DEFAULT_WAIT


def _describe(synced: Synced) -> str:
    where = f"{synced.kind} {synced.ref} at {synced.commit[:12]}"
    signed = f", signed by {synced.signer}" if synced.signer else ""
    if synced.previous is None:
        return f"{synced.name}: synced {where}{signed}"
    if not synced.changed:
        return f"{synced.name}: up to date ({where}{signed})"
    return f"{synced.name}: updated {synced.previous[:12]} -> {where}{signed}"


@app.command()
def add(
    name: SOURCE,
    url: Annotated[
        str, typer.Argument(help="A git URL (https://, ssh://, git@host:path) or a path.")
    ],
    *,
    ref: Annotated[
        str | None,
        typer.Option(
            "--ref",
            metavar="REF",
            help="Tag, branch or commit (default: the remote's default branch).",
        ),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify", help="Require signed refs (git verify-tag / verify-commit, your keys)."
        ),
    ] = False,
    wait: WAIT = False,
    json_out: JSON_OPTION = False,
) -> None:
    """Add a git repository of profiles/ and hooks/ as a source, and sync it."""
    from envman.ops.sources import add as do_add

    synced = do_add(context(), name, url, ref=ref, verify=verify, wait=_wait(wait))
    if json_out:
        emit_json(synced)
        return
    say(_describe(synced))


@app.command("list")
def list_sources(json_out: JSON_OPTION = False) -> None:
    """List sources in lookup order (after ./profiles and your profiles, before shipped ones)."""
    from envman.ops.sources import list_sources as do_list

    rows = do_list(context())
    if json_out:
        emit_json(rows)
        return
    body = [
        (
            r.name,
            r.synced_ref or r.ref or "-",
            r.commit[:12] or "never synced",
            "yes" if r.verify else "no",
            r.synced or "-",
            r.url,
        )
        for r in rows
    ]
    sys.stdout.write(table(body, ("NAME", "REF", "COMMIT", "VERIFY", "SYNCED", "URL")))


@app.command()
def sync(
    name: Annotated[str | None, typer.Argument(help="One source (default: all).")] = None,
    wait: WAIT = False,
    json_out: JSON_OPTION = False,
) -> None:
    """Fetch sources; a failed or interrupted sync keeps the last good one."""
    from envman.ops.sources import sync as do_sync

    outcomes = do_sync(context(), name, wait=_wait(wait))
    if json_out:
        emit_json(outcomes)
    else:
        for outcome in outcomes:
            if outcome.synced is not None:
                say(_describe(outcome.synced))
            else:
                hint = f"\nhint: {outcome.hint}" if outcome.hint else ""
                note(f"error: {outcome.error}{hint}")
    failed = [o for o in outcomes if o.synced is None]
    if failed:
        raise typer.Exit(failed[0].exit_code)


@app.command()
def rm(name: SOURCE, wait: WAIT = False, json_out: JSON_OPTION = False) -> None:
    """Remove a source, its mirror and checkouts (environments built from it are kept)."""
    from envman.ops.sources import remove

    removed = remove(context(), name, wait=_wait(wait))
    if json_out:
        emit_json(removed)
        return
    say(f"{removed.name}: removed ({removed.url})")
