"""What every command shares: the --json option and the operation context."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from envman.cli.progress import View
    from envman.ops.context import Context

JSON_OPTION = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
WAIT_OPTION = Annotated[
    bool,
    typer.Option(
        "--wait",
        help="Wait while another envman changes the same environment (default: give up after "
        "3 s with exit code 29).",
    ),
]


QUIET_OPTION = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only the result line (and a failure).")
]
VERBOSE_OPTION = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Print the whole build log, not the live view, and its file."
    ),
]


def context(*, wait: bool = False, view: View | None = None) -> Context:
    """The context for one CLI invocation: real paths, notes and build logs on stderr (or,
    given a view, notes and build events to it)."""
    # Imported here, not at the top: `envman --help` must not pay for yaml and the operations.
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


def _complete_env(incomplete: str) -> list[str]:
    from envman.cli.names import complete_env

    return complete_env(incomplete)


def complete_profiles(incomplete: str) -> list[str]:
    """Environment and profile names, for arguments that take several."""
    return _complete_profile(incomplete)


def _complete_profile(incomplete: str) -> list[str]:
    from envman.cli.names import complete_env_or_profile

    return complete_env_or_profile(incomplete)


ENV_NAME = Annotated[
    str, typer.Argument(help="Environment name.", metavar="NAME", autocompletion=_complete_env)
]
PROFILE_OR_ENV = Annotated[
    str,
    typer.Argument(
        help="Environment (profile) name, or a profile file path.",
        metavar="NAME",
        autocompletion=_complete_profile,
    ),
]
ENV_NAMES = Annotated[
    list[str] | None,
    typer.Argument(
        help="Environment names.",
        metavar="NAME...",
        autocompletion=_complete_env,
        show_default=False,
    ),
]
ALL_OPTION = Annotated[
    bool,
    typer.Option("--all", "-a", help="Every environment this envman made (its records)."),
]
