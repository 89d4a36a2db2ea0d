"""`envman bridge`: rewrite Flatpak sandbox paths so apps can reach each other (docs/bridge.md)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from envman.cli.common import JSON_OPTION, context
from envman.cli.output import emit_json, say, table

if TYPE_CHECKING:
    from envman.ops.bridge import StatusReport

app = typer.Typer(
    help="Keep files that name Flatpak sandbox paths (native-messaging manifests...) usable.",
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
)


@app.command()
def run() -> None:
    """Run the bridge in the foreground (what the systemd unit runs); Ctrl-C stops it."""
    from envman.bridge.notify import configure_logging
    from envman.ops.bridge import run as do_run

    configure_logging()
    raise typer.Exit(do_run(context()))


@app.command()
def once(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the changes, write nothing.")
    ] = False,
    json_out: JSON_OPTION = False,
) -> None:
    """Reconcile every rule's files once and show the diff."""
    from envman.ops.bridge import once as do_once

    report = do_once(context(), dry_run=dry_run)
    if json_out:
        emit_json(report)
        return
    for action in report.actions:
        if action.diff:
            sys.stdout.write(action.diff if action.diff.endswith("\n") else action.diff + "\n")
    # Rules waiting for an app or a directory are noise here; `rules` and --json show them.
    quiet = ("inactive", "absent")
    rows = [(a.status, a.rule, a.path, a.detail) for a in report.actions if a.status not in quiet]
    if rows:
        sys.stdout.write(table(rows, ("STATUS", "RULE", "FILE", "DETAIL")))
    verb = "would change" if dry_run else "changed"
    say(f"{verb} {report.changes} file(s)")


@app.command()
def install(
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset", metavar="PRESET", help="Enable a built-in rule set, e.g. keepassxc-firefox."
        ),
    ] = None,
    print_only: Annotated[
        bool,
        typer.Option(
            "--print", help="Print the Flatpak permission commands instead of running them."
        ),
    ] = False,
    json_out: JSON_OPTION = False,
) -> None:
    """Write, enable and start the systemd user unit; grant the preset's Flatpak permission."""
    from envman.ops.bridge import install as do_install

    report = do_install(context(), preset=preset, print_only=print_only)
    if json_out:
        emit_json(report)
        return
    if report.preset_file:
        say(f"preset {preset} enabled in {report.preset_file}")
    say(f"installed and started {report.unit_path}")
    say(f"  ExecStart={' '.join(report.exec_start)}")
    for perm in report.permissions:
        say(f"permission for {perm.consumer}: {perm.state}")
        say(f"  {perm.command}")
        say(f"  it {perm.explanation}")
        say(f"  undo: {perm.revoke}")


@app.command()
def uninstall() -> None:
    """Stop, disable and remove the unit (rules, wrappers and backups stay)."""
    from envman.ops.bridge import uninstall as do_uninstall

    done = do_uninstall(context())
    for line in done or ["the unit is not installed: nothing to do"]:
        say(line)


@app.command()
def status(json_out: JSON_OPTION = False) -> None:
    """Is the unit running, which apps are there, which permissions are missing.

    Exits 0 when nothing needs attention and 1 when there is a problem (listed as `problem:`
    lines, or in --json's "problems"), so scripts can check the bridge.
    """
    from envman.ops.bridge import status as do_status

    report = do_status(context())
    if json_out:
        emit_json(report)
    else:
        _say_status(report)
    if report.problems:
        raise typer.Exit(1)


def _say_status(report: StatusReport) -> None:
    service = report.service
    state = f"{service.get('ActiveState', '?')} ({service.get('SubState', '?')})"
    say(f"unit: {report.unit_path} ({'installed' if report.installed else 'not installed'})")
    if service:
        restarts = service.get("NRestarts", "?")
        say(f"  {service.get('UnitFileState', '?')}, {state}, restarts: {restarts}")
        if service.get("StatusText"):
            say(f"  {service['StatusText']}")
    say(f"rules: {report.rules}")
    for name, where in report.apps.items():
        say(f"  {name}: {where}")
    for perm in report.permissions:
        say(f"permission for {perm.consumer}: {perm.state}")
    say(f"backups of originals: {len(report.backups)}")
    for problem in report.problems:
        say(f"problem: {problem}")


@app.command()
def rules(
    presets: Annotated[
        bool, typer.Option("--presets", help="List the built-in presets instead.")
    ] = False,
    json_out: JSON_OPTION = False,
) -> None:
    """The effective rules and where each comes from."""
    from envman.ops.bridge import list_presets, list_rules

    if presets:
        data = list_presets()
        if json_out:
            emit_json(data)
            return
        sys.stdout.write(table(sorted(data.items()), ("PRESET", "BRIDGES")))
        return
    report = list_rules(context())
    if json_out:
        emit_json(report)
        return
    for rule in report.rules:
        say(f"{rule.id}  [{rule.source}]{'' if rule.active else '  (inactive)'}")
        say(f"  files:   {rule.dir}/{rule.glob}  ({rule.where})")
        say(f"  match:   {rule.match}")
        say(f"  replace: {rule.value}  ({rule.replace})")
        if rule.mirror:
            say(f"  mirror:  {rule.mirror}")
        if rule.requires:
            say(f"  only while {rule.requires} exists")
    for rule_id, source, by in report.overridden:
        say(f"{rule_id} from {source} is replaced by {by}")
    if not report.rules:
        say("no rules: add some to bridge.yaml, or run `envman bridge install --preset NAME`")
