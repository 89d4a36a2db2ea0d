"""Commands over several environments (`up`/`stop`/`rm`/`upgrade` NAME... or --all), `upgrade`
and `ephemeral`: thin, the decisions are in envman/ops/many.py, boxes.py and upgrade.py."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from envman.cli.common import (
    ALL_OPTION,
    ENV_NAMES,
    JSON_OPTION,
    QUIET_OPTION,
    VERBOSE_OPTION,
    WAIT_OPTION,
    context,
)
from envman.cli.output import emit_json, error, say
from envman.errors import UsageError

if TYPE_CHECKING:
    from envman.ops.envs import UpResult
    from envman.ops.upgrade import Upgraded

T = TypeVar("T")


def run_many(
    names: list[str],
    operation: Callable[[str], T],
    said: Callable[[str, T], None],
    *,
    json_out: bool,
    command: str,
) -> None:
    """Each name in turn: its result as it comes (or its error), then the exit status that names
    what failed (`--json`: one list of `{name, ok, result, error, hint, exit_code}`)."""
    from envman.ops.many import each, exit_code, failed

    outcomes = []
    for outcome in each(names, operation):
        outcomes.append(outcome)
        if not outcome.ok:
            error(f"{outcome.name}: {outcome.error}", outcome.hint or None)
        elif not json_out:
            assert outcome.result is not None
            said(outcome.name, outcome.result)
    if json_out:
        emit_json(outcomes)
    bad = failed(outcomes)
    if bad:
        error(f"{command} failed for {len(bad)} of {len(outcomes)}: {', '.join(bad)}", None)
        sys.exit(exit_code(outcomes))


def up_targets(
    names: list[str], *, image: str | None, every: bool, dry_run: bool
) -> tuple[list[str], bool]:
    """What `up` brings up, and whether that is the several-names form (a list in --json)."""
    from envman.ops.many import expand_files, targets

    if image is not None and (every or not names):
        raise UsageError(
            "up --image IMAGE needs the environment's NAME", "envman up --image IMAGE NAME"
        )
    if image is not None and dry_run:
        raise UsageError("up --image has no --dry-run", "envman up --image IMAGE NAME")
    if every:
        return targets(context(), names, everything=True, command="up"), True
    chosen = expand_files(
        context().paths.cwd, targets(context(), names, everything=False, command="up")
    )
    return chosen, len(chosen) > 1


def up_many(
    targets: list[str],
    *,
    image: str | None,
    no_build: bool = False,
    json_out: bool,
    wait: bool,
    quiet: bool,
    verbose: bool,
    pull: bool,
    replace: bool,
    dry_run: bool,
    every: bool,
) -> None:
    """`up` of several names: each brought up (or planned) on its own; with --all, each from
    the profile it was made from, wherever this runs."""
    from envman.cli.app import say_dry_run
    from envman.cli.plain import say_up
    from envman.cli.plain import up as plain_up
    from envman.ops.envs import plan_up
    from envman.ops.many import own_address

    def address(name: str) -> str:
        return own_address(context(), name) if every else name

    if dry_run:
        ctx = context()
        run_many(
            targets,
            lambda name: plan_up(ctx, address(name), replace_profile=replace, no_build=no_build),
            lambda _, plan: say_dry_run(plan),
            json_out=json_out,
            command="up",
        )
        return

    def one(name: str) -> UpResult:
        return plain_up(
            address(name),
            wait=wait,
            quiet=quiet,
            verbose=verbose,
            pull=pull,
            no_cache=False,
            replace=replace,
            image=image,
            no_build=no_build,
        )

    run_many(
        targets,
        one,
        lambda _, result: say_up(result, json_out=False, quiet=quiet),
        json_out=json_out,
        command="up",
    )


def upgrade(
    names: ENV_NAMES = None,
    *,
    every: ALL_OPTION = False,
    json_out: JSON_OPTION = False,
    wait: WAIT_OPTION = False,
    quiet: QUIET_OPTION = False,
    verbose: VERBOSE_OPTION = False,
) -> None:
    """Bring environments' packages up to date, as `distrobox upgrade` does.

    The image is built again without podman's layer cache (package steps read fresh indexes),
    from its base pulled anew when that comes from a registry (a local-only base, such as
    localhost/debian:bookworm, is kept and said so); then the container is swapped as `up`
    swaps it: a new generation, `envman rollback` goes back. Offline: exit code 7 at once.
    (`envman update` moves the lock file; it upgrades nothing.)
    """
    from envman.ops.many import targets

    chosen = targets(context(), names or [], everything=every, command="upgrade")
    if len(chosen) == 1 and not every:
        done = _upgrade_one(chosen[0], wait=wait, quiet=quiet, verbose=verbose)
        emit_json(done) if json_out else _say_upgraded(done, quiet)
        return
    run_many(
        chosen,
        lambda name: _upgrade_one(name, wait=wait, quiet=quiet, verbose=verbose),
        lambda _, done: _say_upgraded(done, quiet),
        json_out=json_out,
        command="upgrade",
    )


def _upgrade_one(name: str, *, wait: bool, quiet: bool, verbose: bool) -> Upgraded:
    from envman.cli.progress import build_view
    from envman.ops.upgrade import upgrade as do_upgrade

    view = build_view(quiet=quiet, verbose=verbose)
    try:
        return do_upgrade(context(wait=wait, view=view), name)
    finally:
        view.close()


def _say_upgraded(done: Upgraded, quiet: bool) -> None:
    from envman.cli.plain import say_up

    say_up(done.result, json_out=False, quiet=quiet)
    if done.pulled:
        say(f"  base: pulled {', '.join(done.pulled)} anew")
    if done.kept_local:
        say(f"  base: kept the local base {', '.join(done.kept_local)}")


def ephemeral(
    words: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="PROFILE -- CMD",
            help="A profile name (without --image), then the command after --.",
            show_default=False,
        ),
    ] = None,
    image: Annotated[
        str | None,
        typer.Option("--image", metavar="IMAGE", help="Make the box from just this image."),
    ] = None,
    quiet: QUIET_OPTION = False,
    verbose: VERBOSE_OPTION = False,
) -> None:
    """A throwaway environment: create it, run CMD in it (a login shell without one), remove it.

    It is removed when the command ends, fails, or envman is interrupted (Ctrl-C, SIGTERM);
    only what envman made for it goes (its container, images and records). The exit status is
    the command's. With --image IMAGE every word after the options is the command.
    """
    import signal

    from envman.ops.boxes import ephemeral as do_ephemeral
    from envman.ops.boxes import new_throwaway

    rest = list(words or [])
    profile = rest.pop(0) if image is None and rest and rest[0] != "--" else ""
    if rest[:1] == ["--"]:  # after a positional, click keeps the `--` as a word
        rest.pop(0)
    box = new_throwaway(context(), image=image or "", profile=profile)

    def terminated(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminated)
    code = do_ephemeral(
        context(),
        box,
        lambda file: _up_box(file, quiet=quiet, verbose=verbose),
        lambda name: _inside(name, rest),
    )
    sys.exit(code)


def _up_box(file: str, *, quiet: bool, verbose: bool) -> None:
    from envman.cli.plain import up as plain_up

    result = plain_up(
        file, wait=False, quiet=quiet, verbose=verbose, pull=False, no_cache=False, replace=False
    )
    if not quiet:
        say(f"{result.name}: {result.action} (image {result.image}), removed on exit")


def _inside(name: str, command: list[str]) -> int:
    """The command in the box (or a login shell), by envman's own `run`/`enter`."""
    from envman import runner

    words = ["run", name, "--", *command] if command else ["enter", name]
    return runner.run_foreground([sys.executable, "-m", "envman", *words])


def register(app: typer.Typer) -> None:
    """Add `upgrade` and `ephemeral` to the root app."""
    app.command()(upgrade)
    app.command(context_settings={"allow_interspersed_args": False})(ephemeral)
