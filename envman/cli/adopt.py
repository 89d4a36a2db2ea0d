"""`envman adopt`: a profile from an existing distrobox or toolbx container (and taking it over)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from envman.cli.common import JSON_OPTION, WAIT_OPTION, context
from envman.cli.output import emit_json, note, printable, say


def adopt(
    container: Annotated[
        str, typer.Argument(metavar="CONTAINER", help="A distrobox or toolbx container's name.")
    ],
    *,
    name: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="The profile's name (default: the container's)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Where to write the YAML (a directory: DIR/NAME.yaml; default profiles/).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing profile file.")
    ] = False,
    take_over: Annotated[
        bool,
        typer.Option(
            "--take-over",
            help="Also make the container envman's environment (ls, run, status, rm work on it; "
            "the next `up` recreates it from the profile).",
        ),
    ] = False,
    hooks_as: Annotated[
        str,
        typer.Option(metavar="WHEN", help="distrobox hooks become build (default) or start hooks."),
    ] = "build",
    json_out: JSON_OPTION = False,
    wait: WAIT_OPTION = False,
) -> None:
    """Write a profile from a container distrobox or toolbox made; leave it, or take it over.

    The profile has the image, the packages added since the image (where its package manager
    can tell), volumes, switches, hooks, and the apps and binaries distrobox-export put on the
    host. Without --take-over the container is only read.
    """
    from envman.ops.adopt import adopt as do_adopt

    if hooks_as not in ("build", "start"):
        raise typer.BadParameter("--hooks-as is build or start")
    result = do_adopt(
        context(wait=wait),
        container,
        name=name,
        output=output,
        force=force,
        take_over=take_over,
        hooks_as="build" if hooks_as == "build" else "start",
    )
    for line in (*result.notes, *result.warnings):
        note(f"note: {printable(line)}")
    if json_out:
        emit_json(result)
        return
    found = f" (packages: {result.packages_found_by})" if result.packages_found_by else ""
    say(f"wrote {printable(result.profile)} from {result.kind} container {result.container}{found}")
    if not result.taken_over:
        say(f"  the container is left as it is; `envman up {result.name}` makes envman's own")
        return
    say(f"{result.name}: taken over; `envman up {result.name}` recreates it from the profile")
    for path in result.moved_aside:
        say(f"  moved distrobox's {printable(path)} aside")
    for key in result.exported:
        say(f"  exported {printable(key)}")


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command()(adopt)
