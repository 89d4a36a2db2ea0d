"""`envman doctor`: the host checks, one aligned line each, and an exit status for scripts."""

from __future__ import annotations

import typer

from envman.cli.common import JSON_OPTION, context
from envman.cli.output import emit_json, say


def doctor(json_out: JSON_OPTION = False) -> None:
    """Check podman, its API socket (and so the way `envman run` goes), subuid/subgid, envman's
    directories, locks, half-done swaps and the bridge unit; each line says ok, info, warn or
    fail, with the fix. Exit status 0 when nothing fails, 1 when any check fails."""
    from envman.ops.doctor import diagnose

    checks = diagnose(context())
    if json_out:
        emit_json(checks)
    else:
        width = max(len(c.name) for c in checks)
        for check in checks:
            say(f"{check.status:<4}  {check.name:<{width}}  {check.detail}")
            if check.fix and check.status in ("warn", "fail"):
                say(f"{'':<4}  {'':<{width}}  fix: {check.fix}")
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `envman doctor` to the root app."""
    app.command()(doctor)
