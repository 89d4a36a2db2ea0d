"""What every command shares: the --json option and the operation context."""

from __future__ import annotations

from typing import Annotated

import typer

# re-exported: built without typer for `envman ls` and `up NAME` (plain.py)
from envman.cli.plain import context as context  # noqa: PLC0414

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
