"""`envman run` and `envman enter`: read one small file, then exec `podman exec` in place.

This path must cost next to nothing on top of podman itself, so it imports only os and sys
(no json, re, typing, subprocess, typer or podman-py) and reads a flat key=value run-file.
Where podman is follows the one rule of envman/engine/location.py, as every command does.
"""

from __future__ import annotations

import os
import sys

from envman.engine.location import locate
from envman.errors import (
    ContainerFailed,
    EngineUnavailable,
    EnvmanError,
    EnvNotFound,
    ExitCode,
    StateCorrupt,
    UsageError,
)
from envman.host.readfile import RUN_FILE_MAX, Refused, read_text
from envman.host.state_home import state_home
from envman.names import is_name
from envman.session_env import FORWARDED_ENV

_LOGIN_SHELL = (
    "shell=$(awk -F: -v u=\"$(id -un)\" '$1 == u { print $7 }' /etc/passwd); "
    '[ -x "$shell" ] || shell=/bin/bash; [ -x "$shell" ] || shell=/bin/sh; '
)
ENTER_SHELL = _LOGIN_SHELL + 'exec "$shell" -l'
# A command missing inside: envman's one-line error (and 127) instead of runc's, for `podman exec`
# (the API path says the same from envman/engine/exec_api.py). $1 is the command; a name is
# looked up on PATH as exec does (a shell builtin alone is not a command).
FOUND_OR_127 = (
    'case $1 in */*) [ -e "$1" ] && exec "$@" ;; *) IFS=:; for d in $PATH; do '
    '[ -f "${d:-.}/$1" ] && [ -x "${d:-.}/$1" ] && exec "$@"; done ;; esac; '
    "printf \"envman: error: '%s' was not found in the environment\\nhint: check its PATH\\n\" "
    '"$1" >&2; exit 127'
)
# `enter NAME -- CMD`: CMD in the login shell's environment; $1 is FOUND_OR_127, then CMD (a
# shell that cannot run a POSIX -c string, such as fish, gives way to bash or sh for it).
ENTER_COMMAND = (
    _LOGIN_SHELL + "case ${shell##*/} in bash | zsh | sh | dash | ksh | mksh | ash) ;; "
    "*) shell=/bin/bash; [ -x $shell ] || shell=/bin/sh ;; esac; "
    'script=$1; shift; exec "$shell" -l -c "$script" envman-enter "$@"'
)
USAGE = {
    "run": "usage: envman run NAME [-e KEY=VALUE]... [-w DIR] [--root] [--] COMMAND [ARG]...; "
    "see `envman run -h`",
    "enter": "usage: envman enter NAME [-w DIR] [--root] [-- COMMAND [ARG]...]; "
    "see `envman enter -h`",
}


def read_run_file(name: str) -> dict[str, str]:
    """The environment's run-file, written by `envman up`."""
    if not is_name(name):
        raise EnvNotFound(f"{name!r} is not an environment name", "see `envman ls`")
    path = os.path.join(state_home(), "run", name)
    try:
        text = read_text(path, RUN_FILE_MAX)
    except FileNotFoundError:
        raise EnvNotFound(
            f"no environment named '{name}'",
            _close_name(name) or f"create it with `envman up {name}`",
        ) from None
    except Refused as exc:
        raise _damaged(path, exc.problem, name) from None
    except OSError as exc:
        raise _damaged(path, f"cannot be read ({exc.strerror})", name) from None
    values = {}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        values[key] = value
    if not values.get("id"):
        raise _damaged(path, "has no container id (no `id=` line)", name)
    return values


def _close_name(name: str) -> str | None:
    """`did you mean 'X'?` for a recorded environment close to `name` (the error path only)."""
    import difflib

    try:
        known = [n for n in os.listdir(os.path.join(state_home(), "run")) if is_name(n)]
    except OSError:
        return None
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'? see `envman ls`" if close else None


def _damaged(path: str, problem: str, name: str) -> StateCorrupt:
    return StateCorrupt(
        f"{path}: {problem}",
        f"`envman up {name}` writes it again; `envman rm {name} --force-state` removes it",
    )


def is_running(info: dict[str, str]) -> bool:
    """Cheap check: the recorded container's main process is alive and is envman's entrypoint."""
    try:
        pid = read_text(info.get("pidfile", ""), 64).strip()  # never blocks on a FIFO
        if not pid.isdigit():
            return False
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            cmdline = handle.read()
    except (OSError, ValueError, Refused):
        return False
    return b"envman-entrypoint" in cmdline or cmdline.startswith(b"/sbin/init")


def ensure_running(info: dict[str, str], name: str) -> None:
    """Start the container when it is stopped (the slow path: only after a reboot or a stop)."""
    if is_running(info):
        return
    from envman import runner

    result = runner.run([info.get("podman", "podman"), "start", info["id"]])
    if not result.ok:
        raise ContainerFailed(
            f"cannot start environment '{name}': {result.stderr.strip()}",
            f"recreate it with `envman up {name}`",
        )


def workdir(info: dict[str, str], requested: str | None) -> str:
    """-w, else the profile's workdir, else the current directory (via /run/host if unseen)."""
    if requested or info.get("workdir"):
        return requested or info["workdir"]
    try:
        cwd = os.getcwd()
    except OSError:
        return info.get("home", "/")
    for visible in info.get("visible", "").split("\t"):
        if visible and (cwd == visible or cwd.startswith(visible.rstrip("/") + "/")):
            return cwd
    return "/run/host" + cwd


class HelpRequested(Exception):
    """`-h`/`--help` among envman's own options: show the command's help, run nothing."""


def _options(verb: str, args: list[str], env: list[str], wd: list[str], flags: set[str]) -> None:
    """Consume envman's options from the front of `args` (up to a non-option or `--`)."""
    while args and args[0].startswith("-") and args[0] != "--":
        flag = args.pop(0)
        if flag in ("-h", "--help"):
            raise HelpRequested(verb)
        if flag == "--root":
            flags.add("root")
            continue
        if flag in ("-e", "--env", "-w", "--workdir") and args:
            value = args.pop(0)
        elif flag.startswith(("--env=", "--workdir=")):
            flag, _, value = flag.partition("=")
        else:
            raise UsageError(f"unknown option {flag}", USAGE[verb])
        if flag in ("-e", "--env"):
            if "=" not in value:
                raise UsageError(f"--env wants NAME=VALUE, not '{value}'", USAGE[verb])
            env.append(value)
        else:
            wd.append(value)


def parse(argv: list[str]) -> tuple[str, list[str], str | None, list[str], bool]:
    """(name, extra env, workdir, command, as root) from `run`/`enter` arguments.

    envman's options may come before or after NAME; after NAME they end at `--` or at the first
    word that is not an option, which starts the command (as `podman exec` reads it). `enter`
    takes a command only after `--`.
    """
    verb, args = argv[0], argv[1:]
    env: list[str] = []
    wd: list[str] = []
    flags: set[str] = set()
    _options(verb, args, env, wd, flags)
    if not args or args[0] == "--":
        raise UsageError("missing environment name", USAGE[verb])
    name, rest = args[0], args[1:]
    _options(verb, rest, env, wd, flags)
    dashes = bool(rest) and rest[0] == "--"
    if dashes:
        rest = rest[1:]
    if verb == "run" and not rest:
        raise UsageError("missing command", USAGE[verb])
    if verb == "enter" and rest and not dashes:
        raise UsageError("enter takes a command only after `--`", USAGE[verb])
    if verb == "enter" and dashes and not rest:
        raise UsageError("missing command after `--`", USAGE[verb])
    return name, env, wd[-1] if wd else None, rest, "root" in flags


def exec_user(info: dict[str, str], root: bool) -> str:
    """Who runs the command: the host user's account inside, or root (`--root`)."""
    return "root" if root else info.get("user", "root")


def session_env(info: dict[str, str], env: list[str], root: bool) -> list[str]:
    """What envman sets in every session, before the user's own -e pairs (which win).

    CONTAINER_ID names the environment for prompts (toolbx, distrobox and starship read it);
    as root, HOME is root's own so that nothing root writes lands in the user's home.
    """
    return [f"CONTAINER_ID={info.get('container', '')}", *(["HOME=/root"] if root else []), *env]


def exec_argv(
    info: dict[str, str], env: list[str], wd: str, command: list[str], *, root: bool = False
) -> list[str]:
    """The `podman exec` command line: stdin kept, a TTY when we have one, desktop env forwarded."""
    argv = [info.get("podman", "podman"), "exec", "--interactive", "--detach-keys="]
    if os.isatty(0) and os.isatty(1):
        argv.append("--tty")
    argv += ["--user", exec_user(info, root), "--workdir", wd]
    forward = info.get("forward", "").split() or FORWARDED_ENV
    for key in forward:
        if key in os.environ:
            argv += ["--env", key]
    for pair in session_env(info, env, root):
        argv += ["--env", pair]
    return [*argv, info["id"], *command]


def api_env(info: dict[str, str], env: list[str], root: bool = False) -> list[str]:
    """KEY=VALUE pairs for the API (podman exec --env KEY reads the value itself)."""
    forward = info.get("forward", "").split() or FORWARDED_ENV
    forwarded = [f"{key}={os.environ[key]}" for key in forward if key in os.environ]
    return forwarded + session_env(info, env, root)


def over_api(
    info: dict[str, str], env: list[str], wd: str, command: list[str], root: bool = False
) -> int | None:
    """Run through podman's API socket; None when no service answers (then exec podman).

    ENVMAN_RUN_VIA=podman always execs podman; =api never does (for tests and benchmarks).
    """
    via = os.environ.get("ENVMAN_RUN_VIA", "")
    if via == "podman":
        return None
    from envman.engine import exec_api

    tty = os.isatty(0) and os.isatty(1)
    user = exec_user(info, root)
    env = api_env(info, env, root)
    try:
        return exec_api.run(
            os.environ, info["id"], command, user=user, workdir=wd, env=env, tty=tty
        )
    except exec_api.NoService:
        if via == "api":
            raise EngineUnavailable(
                "no podman API service answered (ENVMAN_RUN_VIA=api)",
                "start one: systemctl --user enable --now podman.socket, or run `envman up`",
            ) from None
        return None
    except (EnvNotFound, ContainerFailed) as exc:
        # the API knows the container, not the environment: the hint names the environment
        name = info.get("container", "NAME")
        raise type(exc)(exc.message, f"recreate it with `envman up {name}`") from None
    except KeyboardInterrupt:
        return 130


def main(argv: list[str]) -> int:
    """Exec podman for `envman run|enter`; returns only on error."""
    try:
        name, env, wd, command, root = parse(argv)
        info = read_run_file(name)
        locate()  # the podman CLI follows CONTAINER_HOST: it must answer, as for every command
        ensure_running(info, name)
        if argv[0] == "enter":
            command = (
                ["/bin/sh", "-c", ENTER_COMMAND, "envman-enter", FOUND_OR_127, *command]
                if command
                else ["/bin/sh", "-c", ENTER_SHELL]
            )
        code = over_api(info, env, workdir(info, wd), command, root)
        if code is not None:
            return code
        if argv[0] == "run":  # podman's own text for a missing command is runc's: say ours
            command = ["/bin/sh", "-c", FOUND_OR_127, "envman-run", *command]
        full = exec_argv(info, env, workdir(info, wd), command, root=root)
        os.execvp(full[0], full)
    except HelpRequested:
        from envman.cli.app import run_app  # help is not the hot path: typer may load

        run_app([argv[0], "--help"])
        return ExitCode.OK
    except EnvmanError as exc:
        from envman.cli.output import error

        error(exc.message, exc.hint)
        return exc.exit_code
    except OSError as exc:
        sys.stderr.write(
            f"envman: error: cannot run podman: {exc.strerror}\nhint: install podman\n"
        )
        return ExitCode.ENGINE_UNAVAILABLE
    return ExitCode.FAILURE
