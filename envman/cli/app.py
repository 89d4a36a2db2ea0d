"""The typer application: the root commands, the sub-apps, and the single error boundary."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from envman import __version__
from envman.cli import bridge as bridge_cli
from envman.cli import config as config_cli
from envman.cli import doctor as doctor_cli
from envman.cli import exports as exports_cli
from envman.cli import generations as generations_cli
from envman.cli import key as key_cli
from envman.cli import lock as lock_cli
from envman.cli import profile as profile_cli
from envman.cli import source as source_cli
from envman.cli.common import (
    ENV_NAME,
    JSON_OPTION,
    PROFILE_OR_ENV,
    QUIET_OPTION,
    VERBOSE_OPTION,
    WAIT_OPTION,
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

NAME = PROFILE_OR_ENV
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
    name: NAME,
    *,
    pull: Annotated[bool, typer.Option(help="Pull the base image even if it is present.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what up would do (layers, settings); do nothing.")
    ] = False,
    replace: REPLACE = False,
    json_out: JSON_OPTION = False,
    wait: WAIT_OPTION = False,
    quiet: QUIET_OPTION = False,
    verbose: VERBOSE_OPTION = False,
) -> None:
    """Build if the profile changed, create or recreate the container if needed, start it."""
    if dry_run:
        _dry_run(name, json_out, replace)
        return
    result = plain_up(name, wait=wait, quiet=quiet, verbose=verbose, pull=pull, replace=replace)
    if json_out:
        for warning in result.warnings:
            note(f"warning: {warning}")
        emit_json(result)
        return
    say_up(result, quiet=quiet)


def _dry_run(name: str, json_out: bool, replace: bool) -> None:
    from envman.ops.envs import plan_up

    plan = plan_up(context(), name, replace_profile=replace)
    if json_out:
        emit_json(plan)
        return
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
        help="Directory inside (default: the current one, or /run/host + it).",
    ),
]


def _fast_args(env: list[str] | None, workdir: str | None) -> list[str]:
    return [
        *(f"--env={pair}" for pair in env or ()),
        *([f"--workdir={workdir}"] if workdir else []),
    ]


@app.command(context_settings={"allow_interspersed_args": False})
def run(
    name: ENV_NAME,
    command: Annotated[list[str], typer.Argument(help="Command and arguments, after --.")],
    env: ENV_OPTION = None,
    workdir: WORKDIR_OPTION = None,
) -> None:
    """Run a command in an environment; its exit status, stdin, stdout and TTY are kept.

    envman's options go before `--` (before or after NAME); everything after `--` is the
    command's. The exit status is the command's; 127 when it is not found inside.
    """
    from envman.fastpath import main as fast_main

    sys.exit(fast_main(["run", *_fast_args(env, workdir), name, "--", *command]))


@app.command()
def enter(name: ENV_NAME, workdir: WORKDIR_OPTION = None) -> None:
    """Open an interactive login shell in an environment, in the current directory."""
    from envman.fastpath import main as fast_main

    sys.exit(fast_main(["enter", *_fast_args(None, workdir), name]))


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
    say(f"  up: {_would(result.plan)}")
    say_plan(result.plan, layers=False)
    for text in result.notes:
        say(f"  - {text}")
    if result.stale:
        raise typer.Exit(1)


@app.command()
def stop(name: ENV_NAME, json_out: JSON_OPTION = False) -> None:
    """Stop an environment's container (`envman run` starts it again)."""
    from envman.ops.envs import stop as do_stop

    container = do_stop(context(), name)
    if json_out:
        emit_json({"name": name, "container": container.id, "state": "stopped"})
        return
    say(f"{name}: stopped")


@app.command()
def rm(
    name: ENV_NAME,
    *,
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
    """Remove an environment: its container, its images and envman's records (not your home).

    An image that another container still uses is kept, with a warning naming the container.
    """
    from envman.ops.envs import rm as do_rm

    if dry_run:
        _rm_dry_run(
            do_rm(context(wait=wait), name, force_state=force_state, dry_run=True), json_out
        )
        return
    if not yes:
        if not sys.stdin.isatty():
            raise Aborted(f"not removing {name} without confirmation", "pass --yes")
        if not typer.confirm(f"Remove environment {name}, its container and images?"):
            raise Aborted("nothing removed")
    removed = do_rm(context(wait=wait), name, force_state=force_state)
    for kept in removed.images_kept:
        note(f"warning: kept image {kept}")
    if json_out:
        emit_json(removed)
        return
    say(f"{name}: removed {len(removed.containers)} container(s), {len(removed.images)} image(s)")
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
generations_cli.register(app)
lock_cli.register(app)
doctor_cli.register(app)


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
