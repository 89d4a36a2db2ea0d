"""The CLI's error boundary, and `envman ls` and `envman up NAME` without typer.

Loading typer and building the command tree costs more than listing or a no-change `up` itself;
those two everyday forms (no options) run from here, the same functions app.py's commands call.
Any other form, options or --help included, goes through typer. Imports os and sys only at the top.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from envman.cli.progress import View
    from envman.ops.context import Context
    from envman.ops.envs import UpResult
    from envman.ops.listing import EnvRow
    from envman.ops.plan import Plan


def context(*, wait: bool = False, view: View | None = None) -> Context:
    """The context for one CLI invocation: real paths, notes and build logs on stderr (or,
    given a view, notes and build events to it)."""
    from envman.cli.output import log_line, note
    from envman.host.writer_locks import DEFAULT_WAIT
    from envman.ops.context import Context
    from envman.paths import Paths

    return Context(
        paths=Paths.from_env(),
        notify=note if view is None else view.note,
        log=log_line if view is None else view.line,
        events=None if view is None else view.event,
        wait=None if wait else DEFAULT_WAIT,
    )


def guarded(call: Callable[[], object]) -> None:
    """Run a command; EnvmanError becomes one or two lines on stderr and its exit code."""
    from envman.errors import EnvmanError, ExitCode

    try:
        call()
    except EnvmanError as exc:
        from envman.cli.help import suggest
        from envman.cli.output import error

        error(exc.message, suggest(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("envman: interrupted\n")
        sys.exit(130)
    except Exception as exc:  # the boundary: no traceback unless asked for
        if os.environ.get("ENVMAN_DEBUG"):
            raise
        from envman.cli.output import printable

        sys.stderr.write(f"envman: internal error: {type(exc).__name__}: {printable(str(exc))}\n")
        sys.stderr.write("hint: run again with ENVMAN_DEBUG=1 for a traceback, and report it\n")
        sys.exit(ExitCode.FAILURE)


def dispatch(argv: list[str]) -> bool:
    """Run `ls` or `up NAME` (no options) here; False for every other command line."""
    if os.environ.get("_ENVMAN_COMPLETE"):
        return False
    if argv == ["ls"]:
        guarded(lambda: sys.stdout.write(ls_table(list_rows())))
        return True
    # FILE.ini may hold several sections: typer's `up` brings up each
    if len(argv) == 2 and argv[0] == "up" and not argv[1].startswith("-") and ".ini" not in argv[1]:
        from envman.ops.up_stamp import replay

        said = replay(argv[1])
        if said is not None:
            outcome = (said.name, "up-to-date", said.image, said.pulled_from, said.warnings)
            guarded(lambda: say_outcome(*outcome))
        else:
            guarded(lambda: say_up(up(argv[1], stamp=True), quiet=False))
        return True
    return False


def list_rows() -> list[EnvRow]:
    """The environments, as `envman ls` lists them."""
    from envman.ops.listing import list_envs

    return list_envs(context())


def ls_table(rows: list[EnvRow]) -> str:
    """`envman ls`'s table."""
    from envman.cli.output import table

    body = [
        (r.name, r.state, r.version or "-", r.content_hash, r.image, r.address or "-") for r in rows
    ]
    return table(body, ("NAME", "STATE", "VERSION", "HASH", "IMAGE", "PROFILE"))


def up(
    name: str,
    *,
    wait: bool = False,
    quiet: bool = False,
    verbose: bool = False,
    pull: bool = False,
    no_cache: bool = False,
    replace: bool = False,
    no_build: bool = False,
    image: str | None = None,
    stamp: bool = False,
) -> UpResult:
    """`up` with the build shown as asked: live on a terminal, the full log, or quiet.

    With `image`, NAME is made from just that image (envman writes its profile); with `stamp`,
    a run that finds nothing to do leaves the up-to-date stamp the next `up NAME` checks.
    """
    from envman.cli.progress import build_view
    from envman.ops.envs import up as do_up

    view = build_view(quiet=quiet, verbose=verbose)
    try:
        ctx = context(wait=wait, view=view)
        if image is not None:
            from envman.ops.boxes import up_image

            return up_image(
                ctx,
                name,
                image,
                lambda file: do_up(
                    ctx, file, pull=pull, replace_profile=replace, no_build=no_build
                ),
                replace_profile=replace,
            )
        if stamp:
            from envman.ops.up_stamp import up_recorded

            return up_recorded(ctx, name)
        return do_up(
            ctx, name, no_cache=no_cache, pull=pull, replace_profile=replace, no_build=no_build
        )
    finally:
        view.close()


def say_up(result: UpResult, *, quiet: bool, json_out: bool = False) -> None:
    """What `up` did, its plan's steps and the exports it changed, for people (or as JSON)."""
    from envman.cli.output import say

    if json_out:
        from envman.cli.output import emit_json, note

        for warning in result.warnings:
            note(f"warning: {warning}")
        emit_json(result)
        return
    pulled_from = "" if quiet else result.pulled_from
    say_outcome(result.name, result.action, result.image, pulled_from, result.warnings)
    if result.plan is not None and not quiet:
        say_plan(result.plan, layers=False)
    for key in result.exported:
        say(f"  exported {key}")
    for key in result.unexported:
        say(f"  unexported {key}")


def say_outcome(
    name: str, action: str, image: str, pulled_from: str, warnings: Sequence[str]
) -> None:
    """The warnings, then `NAME: ACTION (image IMAGE)` and where the image came from."""
    from envman.cli.output import note, say

    for warning in warnings:
        note(f"warning: {warning}")
    say(f"{name}: {action} (image {image})")
    if pulled_from:
        say(f"  image from {pulled_from} (signature verified)")


def say_plan(plan: Plan, *, layers: bool) -> None:
    """The plan's steps, one line each with its reason; with `layers`, what the build reuses."""
    from envman.cli.output import say

    for step in plan.steps:
        say(f"  {step.kind}: {step.reason}")
        if step.kind == "build" and layers:
            rebuilt = plan.rebuilt_layers
            say(f"    layers reused: {plan.reused_layers}; run again: {len(rebuilt)}")
            for text in rebuilt:
                say(f"      {text[:110]}")
