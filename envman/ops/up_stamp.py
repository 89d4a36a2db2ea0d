"""The up-to-date stamp: a no-change `envman up NAME` answered without loading the profile model.

A full `up NAME` that finds nothing to do writes a stamp of everything it looked at: each host
path it opened, listed or stat'ed (host/read_trace.py records them all), each podman inspect and
the parts of the answer envman reads, and the user, host name, working directory and whole
environment (as a digest). The next `up NAME` holds the environment's lock and compares: when all
of it is as recorded, the full run would decide "up-to-date" from the same inputs and say the
same, so that is said. Any doubt falls back to the full run: a difference, a file changed too
recently to tell, another envman holding the environment, podman not answering, a newer envman.
`up`, `rm`, `rollback` and `export` remove the stamp before they change anything (ops/envs.py
`changing`); any other change shows in what was recorded.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import time

from envman import __version__
from envman.engine.api_reader import LISTENERS, ApiReader, inspected
from envman.errors import EnvmanError
from envman.host.read_trace import Signature, Trace, changed_since, recording, signature
from envman.host.readfile import Refused, read_text
from envman.host.state_home import state_home
from envman.host.writer_locks import try_hold
from envman.names import is_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from envman.ops.context import Context
    from envman.ops.envs import UpResult

FORMAT = 1
STAMP_MAX = 4 << 20
API_TIMEOUT = 2.0
# Set per terminal or per shell, and read by nothing that decides what `up` does: a new
# terminal tab keeps the stamp. Everything else in the environment is part of it.
SESSION_ENV = frozenset(
    {
        "_",
        "PWD",
        "OLDPWD",
        "SHLVL",
        "COLUMNS",
        "LINES",
        "WINDOWID",
        "TERM_SESSION_ID",
        "SHELL_SESSION_ID",
        "GNOME_TERMINAL_SCREEN",
        "KONSOLE_DBUS_SESSION",
        "KONSOLE_DBUS_WINDOW",
        "TMUX_PANE",
    }
)


class Said:
    """What the recorded run said: `NAME: up-to-date (image IMAGE)`, with its warnings."""

    __slots__ = ("image", "name", "pulled_from", "warnings")

    def __init__(self, name: str, image: str, pulled_from: str, warnings: list[str]) -> None:
        self.name = name
        self.image = image
        self.pulled_from = pulled_from
        self.warnings = warnings


def stamp_file(state: str, name: str) -> str:
    """Where the stamp of one environment is kept."""
    return os.path.join(state, "uptodate", f"{name}.json")


def host_key(environ: Mapping[str, str]) -> str:
    """Who runs which envman where: user, group, host name, envman's version and installed
    files, and the environment."""
    entry = pwd.getpwuid(os.getuid())
    who = [os.getuid(), os.getgid(), entry.pw_name, entry.pw_dir, entry.pw_shell]
    env = sorted((k, v) for k, v in environ.items() if k not in SESSION_ENV)
    text = json.dumps([__version__, _code_identity(), who, os.uname().nodename, env])
    return _sha256_hex(text.encode("utf-8", "surrogateescape"))


def _code_identity() -> list[int]:
    """The envman that runs, as an upgrade or reinstall changes it: its package's first file."""
    import envman

    found = os.stat(str(envman.__file__))
    return [found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns]


def _sha256_hex(data: bytes) -> str:
    """SHA-256 by the interpreter's own module: hashlib loads OpenSSL (~25 ms of the check)."""
    import importlib

    for name in ("_sha2", "_sha256"):  # Python 3.12 renamed it
        try:
            return str(importlib.import_module(name).sha256(data).hexdigest())
        except ImportError:
            continue
    import hashlib

    return hashlib.sha256(data).hexdigest()


def replay(arg: str, environ: Mapping[str, str] | None = None) -> Said | None:
    """What `up ARG` says when its stamp still holds; None when the full run must decide."""
    env = os.environ if environ is None else environ
    if not is_name(arg):
        return None
    state = state_home(env)
    try:
        stamp = json.loads(read_text(stamp_file(state, arg), STAMP_MAX))
        if not isinstance(stamp, dict) or not _same_caller(stamp, arg, env):
            return None
        return _held_and_checked(stamp, arg, os.path.join(state, "locks", f"env-{arg}.lock"))
    except (OSError, Refused, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None  # a stamp envman did not write as it reads it: the full run
    except EnvmanError:
        return None  # podman did not answer: the full run says why


def _held_and_checked(stamp: dict[str, Any], arg: str, lock_path: str) -> Said | None:
    """The stamp's inputs compared while holding the environment (None: another envman is
    changing it, and the full run waits for it)."""
    lock = try_hold(lock_path)
    if lock is None:
        return None
    try:
        if not _same_inputs(stamp):
            return None
        said = stamp["said"]
        return Said(arg, str(said["image"]), str(said["pulled_from"]), list(said["warnings"]))
    finally:
        os.close(lock)


def _same_caller(stamp: dict[str, object], arg: str, env: Mapping[str, str]) -> bool:
    return (
        stamp.get("format") == FORMAT
        and stamp.get("arg") == arg
        and stamp.get("cwd") == os.getcwd()
        and stamp.get("host") == host_key(env)
    )


def _same_inputs(stamp: dict[str, Any]) -> bool:
    for path, how, sig in stamp["paths"]:
        if _json_sig(signature(str(path), str(how))) != sig:
            return False
    reader = ApiReader(str(stamp["socket"]), timeout=API_TIMEOUT)
    return all(inspected(str(path), reader.get(str(path))) == view for path, view in stamp["api"])


def _json_sig(sig: Signature) -> object:
    return list(sig) if isinstance(sig, tuple) else sig


def forget(state: str, name: str) -> None:
    """Remove an environment's stamp (every change to it does, before it changes anything)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(stamp_file(state, name))


class _Recorder:
    """What a full `up` asked podman and said on the way, beside the trace of its host paths."""

    def __init__(self) -> None:
        self.api: dict[str, str | None] = {}
        self.sockets: set[str] = set()
        self.moved = False  # one inspect answered differently within the run
        self.notes: list[str] = []
        self.started = time.time_ns()  # before anything was looked at

    def listen(self, socket: str, path: str, data: object) -> None:
        view = inspected(path, data)
        if path in self.api and self.api[path] != view:
            self.moved = True
        self.api[path] = view
        self.sockets.add(socket)


def up_recorded(ctx: Context, arg: str) -> UpResult:
    """`up ARG` as envs.up does it, and when it found nothing to do, a stamp of what it saw."""
    from envman.ops.envs import up

    recorder = _Recorder()
    notify = ctx.notify

    def noted(text: str) -> None:
        recorder.notes.append(text)
        notify(text)

    ctx.notify = noted
    LISTENERS.append(recorder.listen)
    try:
        with recording() as trace:
            return up(ctx, arg, done=lambda result: _stamp(ctx, arg, result, (trace, recorder)))
    finally:
        LISTENERS.remove(recorder.listen)
        ctx.notify = notify


def _stamp(ctx: Context, arg: str, result: UpResult, seen: tuple[Trace, _Recorder]) -> None:
    """Write the stamp, still holding the environment; nothing when the record is not whole."""
    trace, recorder = seen
    state = str(ctx.paths.state)
    if not _stampable(arg, result, trace, recorder):
        return
    paths = _path_signatures(trace, recorder.started)
    if paths is None:
        return
    stamp = {
        "format": FORMAT,
        "arg": arg,
        "cwd": trace.cwd,
        "host": host_key(ctx.environ),
        "socket": next(iter(recorder.sockets)),
        "paths": paths,
        "api": sorted([path, view] for path, view in recorder.api.items()),
        "said": {
            "image": result.image,
            "pulled_from": result.pulled_from,
            "warnings": list(result.warnings),
        },
    }
    from pathlib import Path

    from envman.host.files import write_atomic

    write_atomic(Path(stamp_file(state, arg)), json.dumps(stamp, indent=0) + "\n", 0o600)


def _stampable(arg: str, result: UpResult, trace: Trace, recorder: _Recorder) -> bool:
    whole = not trace.opaque and not recorder.moved and not recorder.notes
    asked_podman = len(recorder.sockets) == 1 and trace.sockets <= recorder.sockets
    return (
        whole
        and asked_podman
        and result.action == "up-to-date"
        and result.name == arg
        and not result.exported
        and not result.unexported
        and None not in recorder.api.values()
    )


def _path_signatures(trace: Trace, started: int) -> list[list[object]] | None:
    """Each path as it is now and how it was used; None when one changed too recently to tell."""
    uses = [(p, "read") for p in trace.read]
    uses += [(p, "stat") for p in trace.probed] + [(p, "lstat") for p in trace.lprobed]
    used = {path for path, _ in uses}
    uses += [(p, "read") for p in trace.written - used]
    found: list[list[object]] = []
    for path, how in sorted(set(uses)):
        sig = signature(path, how)
        if path in trace.written:
            if sig is None and path not in used:
                continue  # a temporary file the run renamed or removed
        elif changed_since(sig, started):
            return None
        found.append([path, how, _json_sig(sig)])
    return found
