"""One command over several environments: each name on its own, failures reported, not fatal.

As `podman rm a b` and `systemctl stop a b` do: a failure of one name does not stop the others;
each is reported, and the command's exit status names the failure (see `exit_code`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from envman.errors import EnvmanError, ExitCode, UsageError
from envman.ops.context import Context

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What one name of a multi-name command came to: its result, or its error."""

    name: str
    ok: bool
    result: T | None = None
    error: str = ""
    hint: str = ""
    exit_code: int = ExitCode.OK


def each(names: Iterable[str], operation: Callable[[str], T]) -> Iterator[Outcome[T]]:
    """Run `operation` for every name in turn, yielding each outcome as it is known.

    An envman error stops only its own name; anything else (Ctrl-C, a bug) stops the command.
    """
    for name in names:
        try:
            result = operation(name)
        except EnvmanError as exc:
            yield Outcome(name, False, None, exc.message, exc.hint or "", exc.exit_code)
        else:
            yield Outcome(name, True, result)


def exit_code(outcomes: Iterable[Outcome[T]]) -> int:
    """0 when every name succeeded; the failures' shared exit code; else 1 (several kinds)."""
    codes = {o.exit_code for o in outcomes if not o.ok}
    if not codes:
        return ExitCode.OK
    return codes.pop() if len(codes) == 1 else ExitCode.FAILURE


def failed(outcomes: Iterable[Outcome[T]]) -> list[str]:
    """The names that failed, in order."""
    return [o.name for o in outcomes if not o.ok]


def unique(names: Iterable[str]) -> list[str]:
    """The names in order, each once (`up a a` does a once)."""
    return list(dict.fromkeys(names))


def targets(ctx: Context, names: list[str], *, everything: bool, command: str) -> list[str]:
    """The environments a command acts on: the names given, or with `--all` every one envman
    owns (its containers and its records), never both and never none."""
    if everything and names:
        raise UsageError(f"{command}: give names or --all, not both", f"envman {command} --all")
    if not everything:
        if not names:
            raise UsageError(
                f"{command}: name an environment, or --all", f"envman {command} NAME... | --all"
            )
        return unique(names)
    return all_envs(ctx)


def all_envs(ctx: Context) -> list[str]:
    """Every environment this envman made: those it keeps records of (its state, generations or
    a swap's journal). Not every container `envman ls` shows: on a rootful podman that other
    users share, their envman's environments are theirs (see docs/uninstall.md)."""
    from envman.names import is_name

    state = ctx.paths.state
    found: set[str] = set()
    for folder in ("envs", "generations", "journal"):  # as state.py, history.py, journal.py
        directory = state / folder
        if directory.is_dir():
            found.update(p.stem for p in directory.glob("*.json") if is_name(p.stem))
    return sorted(found)


def expand_files(cwd: Path, args: list[str]) -> list[str]:
    """`up FILE.ini` brings up every section of a file with several (distrobox-assemble's
    file of boxes): each as `FILE.ini#SECTION`; every other argument as it is."""
    from envman.profile.resolver import format_of, refs_in_file

    out: list[str] = []
    for arg in args:
        path = Path(arg).expanduser()
        path = path if path.is_absolute() else cwd / path
        if "#" not in arg and format_of(path) == "ini" and path.is_file():
            refs = refs_in_file(path)
            if len(refs) > 1:
                out.extend(f"{arg}#{ref.section}" for ref in refs)
                continue
        out.append(arg)
    return unique(out)


def own_address(ctx: Context, name: str) -> str:
    """What `up --all` brings up for `name`: the profile it was made from, wherever this runs."""
    from envman.ops.address import recorded_address

    return recorded_address(ctx.paths, name) or name
