"""The typer application: the root commands, the sub-apps, and the single error boundary."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from envman import __version__
from envman.cli import adopt as adopt_cli
from envman.cli import boxes as boxes_cli
from envman.cli import bridge as bridge_cli
from envman.cli import config as config_cli
from envman.cli import doctor as doctor_cli
from envman.cli import exports as exports_cli
from envman.cli import generations as generations_cli
from envman.cli import key as key_cli
from envman.cli import lock as lock_cli
from envman.cli import profile as profile_cli
from envman.cli import publish as publish_cli
from envman.cli import source as source_cli
from envman.cli import trust as trust_cli
from envman.cli.common import (
    ALL_OPTION,
    ENV_NAME,
    ENV_NAMES,
    JSON_OPTION,
    PROFILE_OR_ENV,
    QUIET_OPTION,
    VERBOSE_OPTION,
    WAIT_OPTION,
    complete_profiles,
    context,
)
from envman.cli.output import emit_json, note, say
from envman.cli.plain import guarded, ls_table, say_plan, say_up
from envman.cli.plain import up as plain_up
from envman.errors import Aborted

if TYPE_CHECKING:
    from envman.ops.envs import Removed
    from envman.ops.plan import Plan

app = typer.Typer(
    name="envman",
    help="Declarative, versioned dev-environment containers for immutable Linux desktops.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(profile_cli.app, name="profile")
app.add_typer(config_cli.app, name="config")
app.add_typer(bridge_cli.app, name="bridge")
app.add_typer(source_cli.app, name="source")
app.add_typer(key_cli.app, name="key")
app.add_typer(trust_cli.app, name="trust")

NAME = PROFILE_OR_ENV
NAMES = Annotated[
    list[str] | None,
    typer.Argument(
        help="Environment (profile) names, or profile file paths (a FILE.ini: every section).",
        metavar="NAME...",
        autocompletion=complete_profiles,
        show_default=False,
    ),
]
IMAGE_OPTION = Annotated[
    str | None,
    typer.Option(
        "--image", metavar="IMAGE", help="Make NAME from just this image (no profile file)."
    ),
]
REPLACE = Annotated[
    bool,
    typer.Option(
        "--replace",
        help="Remake the environment from this profile, not the one it was made from.",
    ),
]


def _version(value: bool) -> None:
    if value:
        say(f"envman {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Declarative, versioned dev-environment containers for immutable Linux desktops."""


@app.command()
def up(
    names: NAMES = None,
    *,
    image: IMAGE_OPTION = None,
    every: ALL_OPTION = False,
    pull: Annotated[bool, typer.Option(help="Pull the base image even if it is present.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what up would do (layers, settings); do nothing.")
    ] = False,
    replace: REPLACE = False,
    no_build: Annotated[
        bool,
        typer.Option(
            "--no-build",
            help="Use only the team registry's verified image; exit 35 when it has none.",
        ),
    ] = False,
    json_out: JSON_OPTION = False,
    wait: WAIT_OPTION = False,
    quiet: QUIET_OPTION = False,
    verbose: VERBOSE_OPTION = False,
) -> None:
    """Build (or pull the team's verified image) if the profile changed, create or recreate the
    container if needed, start it.

    Several names (or --all, every environment this envman made) are brought up one after
    the other; a FILE.ini of several sections brings up each. --image IMAGE NAME makes the
    environment NAME from just an image (no profile file of yours).
    """
    from envman.cli.boxes import up_targets

    targets, several = up_targets(names or [], image=image, every=every, dry_run=dry_run)
    if several:
        from envman.cli.boxes import up_many

        up_many(
            targets,
            image=image,
            no_build=no_build,
            json_out=json_out,
            wait=wait,
            quiet=quiet,
            verbose=verbose,
            pull=pull,
            replace=replace,
            dry_run=dry_run,
            every=every,
        )
        return
    name = targets[0]
    if dry_run:
        _dry_run(name, json_out, replace, no_build=no_build)
        return
    result = plain_up(
        name,
        wait=wait,
        quiet=quiet,
        verbose=verbose,
        pull=pull,
        replace=replace,
        no_build=no_build,
        image=image,
    )
    say_up(result, json_out=json_out, quiet=quiet)


def _dry_run(name: str, json_out: bool, replace: bool, *, no_build: bool) -> None:
    from envman.ops.envs import plan_up

    plan = plan_up(context(), name, replace_profile=replace, no_build=no_build)
    if json_out:
        emit_json(plan)
        return
    say_dry_run(plan)


def say_dry_run(plan: Plan) -> None:
    """`up --dry-run`'s words for one plan."""
    say(f"{plan.name}: {_would(plan)}")
    say_plan(plan, layers=True)


def _would(plan: Plan) -> str:
    """The word `up` would report, as `--dry-run` and `status` say it."""
    return "up-to-date" if plan.action == "up-to-date" else f"would be {plan.action}"


@app.command()
def rebuild(
    name: NAME,
    *,
    pull: Annotated[bool, typer.Option(help="Pull the base image even if it is present.")] = False,
    replace: REPLACE = False,
    json_out: JSON_OPTION = False,
    wait: WAIT_OPTION = False,
    quiet: QUIET_OPTION = False,
    verbose: VERBOSE_OPTION = False,
) -> None:
    """Rebuild the image without the layer cache, then recreate the container."""
    result = plain_up(
        name, wait=wait, quiet=quiet, verbose=verbose, pull=pull, no_cache=True, replace=replace
    )
    if json_out:
        emit_json(result)
        return
    say(f"{result.name}: {result.action} (image {result.image})")


ENV_OPTION = Annotated[
    list[str] | None,
    typer.Option(
        "--env", "-e", metavar="KEY=VALUE", help="Set a variable for the command (repeatable)."
    ),
]
WORKDIR_OPTION = Annotated[
    str | None,
    typer.Option(
        "--workdir",
        "-w",
        metavar="DIR",
        help="Directory inside (default: the profile's workdir, else the current one).",
    ),
]


ROOT_OPTION = Annotated[
    bool,
    typer.Option(
        "--root",
        help="As root inside (uid 0 of the container's user namespace, HOME=/root), as "
        "`podman exec --user root`.",
    ),
]


def _fast_args(env: list[str] | None, workdir: str | None, root: bool = False) -> list[str]:
    return [
        *(f"--env={pair}" for pair in env or ()),
        *([f"--workdir={workdir}"] if workdir else []),
        *(["--root"] if root else []),
    ]


@app.command(context_settings={"allow_interspersed_args": False})
def run(
    name: ENV_NAME,
    command: Annotated[list[str], typer.Argument(help="Command and arguments, after --.")],
    env: ENV_OPTION = None,
    workdir: WORKDIR_OPTION = None,
    root: ROOT_OPTION = False,
) -> None:
    """Run a command in an environment; its exit status, stdin, stdout and TTY are kept.

    envman's options go before `--` (before or after NAME); everything after `--` is the
    command's. The exit status is the command's; 127 (and one line) when it is not found inside.
    Every session has CONTAINER_ID=NAME set.
    """
    from envman.fastpath import main as fast_main

    sys.exit(fast_main(["run", *_fast_args(env, workdir, root), name, "--", *command]))


@app.command(context_settings={"allow_interspersed_args": False})
def enter(
    name: ENV_NAME,
    command: Annotated[
        list[str] | None,
        typer.Argument(help="A command to run in the login shell's environment, after --."),
    ] = None,
    workdir: WORKDIR_OPTION = None,
    root: ROOT_OPTION = False,
) -> None:
    """Open an interactive login shell in an environment, in the current directory.

    A profile's `workdir` starts it there instead (as `run`); -w overrides both.

    With `-- COMMAND...`, run the command in the login shell's environment instead (profile
    files read, TTY when there is one), as `distrobox enter NAME -- COMMAND` does. bash prompts
    inside start with ⬢ NAME; the hostname stays the host's.
    """
    from envman.fastpath import main as fast_main

    rest = ["--", *command] if command else []
    sys.exit(fast_main(["enter", *_fast_args(None, workdir, root), name, *rest]))


@app.command("ls")
def list_envs(
    json_out: JSON_OPTION = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print names only.")] = False,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="TEMPLATE",
            help="One line per environment: {{.Field}} or {field} for name, state, version, "
            "hash, image, created, profile; \\t and \\n as in podman ps --format.",
        ),
    ] = None,
) -> None:
    """List the environments envman manages."""
    from envman.cli.listformat import render_rows
    from envman.cli.plain import list_rows

    rows = list_rows()
    if json_out:
        emit_json(rows)
        return
    if quiet or fmt is not None:
        sys.stdout.write(render_rows(rows, "{{.Name}}" if quiet else fmt or ""))
        return
    sys.stdout.write(ls_table(rows))


@app.command()
def status(name: NAME, json_out: JSON_OPTION = False) -> None:
    """Compare an environment with its profile: is what runs stale?

    Exits 0 when the environment is up to date and 1 when it is stale or not created (as
    `git diff --exit-code`), with or without --json.
    """
    from envman.ops.envs import status as do_status

    result = do_status(context(), name)
    if json_out:
        emit_json(result)
        if result.stale:
            raise typer.Exit(1)
        return
    say(f"{result.name}: {result.state}, {'stale' if result.stale else 'up to date'}")
    say(f"  running: {result.running_hash[:12] or '-'} (version {result.running_version or '-'})")
    say(f"  profile: {result.profile_hash[:12]} (version {result.profile_version or '-'})")
    if result.pulled_from:
        say(f"  image: pulled from {result.pulled_from} (signature verified)")
    say(f"  up: {_would(result.plan)}")
    say_plan(result.plan, layers=False)
    for text in result.notes:
        say(f"  - {text}")
    if result.stale:
        raise typer.Exit(1)


@app.command()
def stop(names: ENV_NAMES = None, every: ALL_OPTION = False, json_out: JSON_OPTION = False) -> None:
    """Stop environments' containers (`envman run` starts one again)."""
    from envman.cli.boxes import run_many
    from envman.ops.envs import stop as do_stop
    from envman.ops.many import targets

    ctx = context()
    chosen = targets(ctx, names or [], everything=every, command="stop")

    def one(name: str) -> dict[str, str]:
        container = do_stop(ctx, name)
        return {"name": name, "container": container.id, "state": "stopped"}

    def said(name: str, _: dict[str, str]) -> None:
        say(f"{name}: stopped")

    if len(chosen) == 1 and not every:
        stopped = one(chosen[0])
        emit_json(stopped) if json_out else said(chosen[0], stopped)
        return
    run_many(chosen, one, said, json_out=json_out, command="stop")


@app.command()
def rm(
    names: ENV_NAMES = None,
    *,
    every: ALL_OPTION = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    force_state: Annotated[
        bool,
        typer.Option(
            "--force-state", help="Go on past damaged envman records (they are deleted unread)."
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be removed; remove nothing.")
    ] = False,
    json_out: JSON_OPTION = False,
    wait: WAIT_OPTION = False,
) -> None:
    """Remove environments: their containers, images and envman's records (not your home).

    An image that another container still uses is kept, with a warning naming the container.
    With several names (or --all) each is removed on its own; one failing does not stop the
    others, and the exit status says which failed.
    """
    from envman.cli.boxes import run_many
    from envman.ops.boxes import remove as do_rm
    from envman.ops.many import targets

    ctx = context(wait=wait)
    chosen = targets(ctx, names or [], everything=every, command="rm")
    single = len(chosen) == 1 and not every
    if not chosen:
        say("no environments to remove")
        return
    if dry_run:
        if single:
            _rm_dry_run(do_rm(ctx, chosen[0], force_state=force_state, dry_run=True), json_out)
            return
        run_many(
            chosen,
            lambda name: do_rm(ctx, name, force_state=force_state, dry_run=True),
            lambda _, plan: _rm_dry_run(plan, False),
            json_out=json_out,
            command="rm",
        )
        return
    listed = ", ".join(chosen)
    if not yes:
        if not sys.stdin.isatty():
            raise Aborted(f"not removing {listed} without confirmation", "pass --yes")
        what = "environment" if single else f"{len(chosen)} environments:"
        if not typer.confirm(f"Remove {what} {listed}, with containers and images?"):
            raise Aborted("nothing removed")
    if single:
        _say_removed(do_rm(ctx, chosen[0], force_state=force_state), json_out)
        return
    run_many(
        chosen,
        lambda name: do_rm(ctx, name, force_state=force_state),
        lambda _, removed: _say_removed(removed, False),
        json_out=json_out,
        command="rm",
    )


def _say_removed(removed: Removed, json_out: bool) -> None:
    for kept in removed.images_kept:
        note(f"warning: kept image {kept}")
    if json_out:
        emit_json(removed)
        return
    say(
        f"{removed.name}: removed {len(removed.containers)} container(s), "
        f"{len(removed.images)} image(s)"
    )
    for path in removed.exports_kept:
        note(f"kept {path}: changed since envman exported it")


def _rm_dry_run(plan: Removed, json_out: bool) -> None:
    if json_out:
        emit_json(plan)
        return
    say(f"{plan.name}: would remove (dry run, nothing removed)")
    for container in plan.containers:
        say(f"  container {container}")
    for image in plan.images:
        say(f"  image {image}")
    for path in plan.files:
        say(f"  file {path}")
    for kept in plan.images_kept:
        say(f"  would keep image {kept}")
    for path in plan.exports_kept:
        say(f"  would keep {path}: changed since envman exported it")


exports_cli.register(app)
adopt_cli.register(app)
generations_cli.register(app)
lock_cli.register(app)
doctor_cli.register(app)
publish_cli.register(app)
boxes_cli.register(app)


@app.command("help")
def help_command(
    ctx: typer.Context,
    words: Annotated[list[str] | None, typer.Argument(metavar="COMMAND", help="A command.")] = None,
) -> None:
    """Show the help of envman or of one of its commands."""
    from envman.cli.help import show_help

    say(show_help(ctx, list(words or ())))


@app.command()
def completion(
    shell: Annotated[str, typer.Argument(metavar="SHELL", help="bash, zsh or fish.")],
) -> None:
    """Print the shell completion script (commands, options, environment and profile names)."""
    from envman.cli.help import completion_script

    sys.stdout.write(completion_script(shell))


def run_app(argv: list[str]) -> None:
    """Run the CLI inside the error boundary (plain.guarded)."""
    from envman.cli.words import command_tree

    if os.environ.get("_ENVMAN_COMPLETE"):
        from envman.cli.help import enable_completion

        enable_completion()
    guarded(lambda: command_tree(app)(args=argv, prog_name="envman"))
