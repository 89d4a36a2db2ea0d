"""`envman doctor`: is this host ready for envman? One check per line: ok, info, warn or fail.

Nothing here starts a service, takes a lock or writes a file: every probe only looks, and each
has a timeout, so that doctor answers in about a second even when podman hangs.
"""

from __future__ import annotations

import json
import os
import pwd
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from envman import journal, runner
from envman.engine import exec_api, service
from envman.errors import EnvmanError
from envman.host import writer_locks as locks
from envman.ops.context import Context

INFO_TIMEOUT = 10.0  # `podman info` of a first rootless run migrates storage: not instant
SLOW_PING = 1.0  # a service that answers this late is there, but too slow for `envman run`
STARTED = (
    "it was not running and the socket started it; a run that finds it stopped execs podman "
    "while it comes up"
)
STATUSES = ("ok", "info", "warn", "fail")
CONTAINER_HOST_FIX = "start the service behind it, or unset CONTAINER_HOST"
SUBIDS_NEEDED = 65536  # a full 16-bit range: what distribution images and useradd assume


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, how it went, what was found, how to fix it."""

    name: str
    status: str  # one of STATUSES; only "fail" makes `envman doctor` exit 1
    detail: str
    fix: str = ""


def _run(argv: Sequence[str], timeout: float) -> runner.Completed:
    return runner.run(argv, timeout=timeout)


def _ping(path: str, timeout: float) -> bool:
    return service.answers(path, timeout=timeout)


@dataclass(frozen=True)
class Probes:
    """What doctor reads outside envman's own files; tests swap in fakes."""

    uid: int = field(default_factory=os.getuid)
    run: Callable[[Sequence[str], float], runner.Completed] = _run
    which: Callable[[str], str | None] = runner.which
    ping: Callable[[str, float], bool] = _ping
    subuid: Path = Path("/etc/subuid")
    subgid: Path = Path("/etc/subgid")

    @property
    def user(self) -> str:
        """The login name of uid (what /etc/subuid lists), or the uid as text."""
        try:
            return pwd.getpwuid(self.uid).pw_name
        except KeyError:
            return str(self.uid)


def diagnose(ctx: Context, probes: Probes | None = None) -> list[Check]:
    """Every check, in the order a user fixes things: podman, its API, ids, dirs, envman state."""
    p = probes or Probes()
    return [
        *podman_checks(p),
        run_path(ctx.environ, p),
        container_host(ctx.environ, p),
        subids(p),
        *xdg_dirs(ctx, p),
        *held_locks(ctx),
        *half_done_swaps(ctx),
        bridge_unit(ctx),
        registry(ctx),
    ]


def podman_checks(p: Probes) -> list[Check]:
    """podman installed (its version), and `podman info`: runtime, cgroups, rootless or not."""
    found = p.which("podman")
    if found is None:
        fix = "install podman (Debian, Ubuntu: apt install podman; Fedora: dnf install podman)"
        return [Check("podman", "fail", "podman is not on PATH", fix)]
    done = p.run([found, "info", "--format", "json"], INFO_TIMEOUT)
    if not done.ok:
        version = p.run([found, "--version"], 5.0).stdout.strip() or "version unknown"
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return [
            Check("podman", "ok", f"{found} ({version})"),
            Check("podman info", "fail", why, "run `podman info` and fix what it says"),
        ]
    return _info_checks(found, done.stdout, p.uid)


def _info_checks(found: str, text: str, uid: int) -> list[Check]:
    """The version line and the `podman info` line from `podman info --format json`."""
    try:
        data = json.loads(text)
        host = data["host"]
        version = data["version"]["Version"]
        runtime = host["ociRuntime"]["name"]
        cgroups, manager = host["cgroupVersion"], host["cgroupManager"]
        rootless = bool(host["security"]["rootless"])
    except (ValueError, KeyError, TypeError):
        return [
            Check("podman", "ok", found),
            Check("podman info", "fail", "it printed something unexpected", "run `podman info`"),
        ]
    mode = "rootless" if rootless else "rootful"
    detail = f"{mode}, runtime {runtime}, cgroups {cgroups} ({manager})"
    info = Check("podman info", "ok", detail)
    if rootless != (uid != 0):  # e.g. CONTAINER_HOST names another user's service
        fix = "check CONTAINER_HOST and `podman system connection list`"
        info = Check("podman info", "warn", f"{detail}, but you are uid {uid}", fix)
    elif rootless and cgroups == "v1":
        info = Check(
            "podman info",
            "warn",
            f"{detail}: rootless containers get no resource limits or stats on cgroups v1",
            "boot with systemd.unified_cgroup_hierarchy=1 (cgroups v2)",
        )
    return [Check("podman", "ok", f"{found} {version}"), info]


def run_path(environ: dict[str, str], p: Probes) -> Check:
    """Which way `envman run` goes now: the first API socket that answers in time, else exec."""
    name = "run path"
    via = environ.get("ENVMAN_RUN_VIA", "")
    if via == "podman":
        return Check(name, "info", "fallback: podman exec (forced by ENVMAN_RUN_VIA=podman)")
    tried = exec_api.candidates(environ, p.uid)
    slow = []
    for path in tried:
        if p.ping(path, exec_api.PING_TIMEOUT):
            return Check(name, "ok", f"API: {path}")
        if Path(path).exists() and p.ping(path, SLOW_PING):
            if p.ping(path, exec_api.PING_TIMEOUT):  # it was starting: socket activation
                return Check(name, "ok", f"API: {path} ({STARTED})")
            slow.append(path)
    return _no_fast_answer(name, via, slow, tried, p.uid)


def _no_fast_answer(name: str, via: str, slow: list[str], tried: list[str], uid: int) -> Check:
    """The run path when no service answered within the ping timeout."""
    fix = _socket_fix(uid)
    if via == "api" and slow:
        why = f"{slow[0]} answers slowly; ENVMAN_RUN_VIA=api waits for it"
        return Check(name, "warn", f"API: {why}", "is the machine busy?")
    if via == "api":
        return Check(name, "fail", "no API service answers and ENVMAN_RUN_VIA=api: run fails", fix)
    if slow:
        why = f"{', '.join(slow)} answered, but not within {int(exec_api.PING_TIMEOUT * 1000)} ms"
        return Check(name, "warn", f"fallback: podman exec ({why})", "is the machine busy?")
    where = ", ".join(tried) if tried else "no socket to try (XDG_RUNTIME_DIR is not set)"
    return Check(name, "warn", f"fallback: podman exec (no answer from {where})", fix)


def _socket_fix(uid: int) -> str:
    user = "" if uid == 0 else " --user"
    return (
        f"systemctl{user} enable --now podman.socket (faster `envman run`); "
        "`envman up` also starts a private service for 10 idle minutes"
    )


def container_host(environ: dict[str, str], p: Probes) -> Check:
    """CONTAINER_HOST, when set, is the only socket envman and podman use: does it answer?"""
    host = environ.get("CONTAINER_HOST", "")
    if not host:
        return Check("CONTAINER_HOST", "ok", "not set")
    if not host.startswith("unix://"):
        return Check(
            "CONTAINER_HOST",
            "info",
            f"{host}: not a local socket, so `envman run` execs podman (remote)",
        )
    path = host.removeprefix("unix://")
    if p.ping(path, SLOW_PING):
        return Check("CONTAINER_HOST", "ok", f"{host} answers")
    return Check(
        "CONTAINER_HOST",
        "fail",
        f"{host} does not answer, and podman uses only that socket",
        CONTAINER_HOST_FIX,
    )


def subids(p: Probes) -> Check:
    """Rootless podman maps the container's ids into the user's ranges in /etc/subuid, subgid."""
    if p.uid == 0:
        return Check("subuid/subgid", "ok", "not needed (rootful)")
    user = p.user
    short = [f for f in (p.subuid, p.subgid) if _range_size(f, user, p.uid) < SUBIDS_NEEDED]
    if not short:
        return Check("subuid/subgid", "ok", f"{user} has {SUBIDS_NEEDED} or more in both")
    missing = " and ".join(str(f) for f in short)
    return Check(
        "subuid/subgid",
        "fail",
        f"{user} has fewer than {SUBIDS_NEEDED} ids in {missing}: rootless podman cannot map them",
        f"sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 {user} "
        "&& podman system migrate",
    )


def _range_size(path: Path, user: str, uid: int) -> int:
    """How many subordinate ids `user` (or its uid) has in a subuid/subgid file."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 0
    total = 0
    for line in lines:
        owner, _, rest = line.strip().partition(":")
        _, _, count = rest.partition(":")
        if owner in (user, str(uid)) and count.isdigit():
            total += int(count)
    return total


def xdg_dirs(ctx: Context, p: Probes) -> list[Check]:
    """envman's config, state, data and runtime directories (or where they will be) writable."""
    dirs = {
        "config dir": (ctx.paths.config, "XDG_CONFIG_HOME"),
        "state dir": (ctx.paths.state, "XDG_STATE_HOME"),
        "data dir": (ctx.paths.data, "XDG_DATA_HOME"),
        "runtime dir": (ctx.paths.runtime, "XDG_RUNTIME_DIR"),
    }
    checks = [_writable(name, path, var) for name, (path, var) in dirs.items()]
    if p.uid != 0 and not ctx.environ.get("XDG_RUNTIME_DIR"):
        checks[-1] = Check(
            "runtime dir",
            "warn",
            "XDG_RUNTIME_DIR is not set: envman cannot find podman's user socket",
            "log in through your session manager, or export XDG_RUNTIME_DIR=/run/user/$(id -u)",
        )
    return checks


def _writable(name: str, path: Path, var: str) -> Check:
    """A directory envman writes is fine when it, or the nearest existing parent, is writable."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.is_dir() and os.access(existing, os.W_OK | os.X_OK):
        return Check(name, "ok", str(path) if existing == path else f"{path} (created on use)")
    return Check(
        name,
        "fail",
        f"{path}: {existing} is not a directory you can write",
        f"fix the owner or mode of {existing}, or set {var} to a directory of yours",
    )


def held_locks(ctx: Context) -> list[Check]:
    """Locks some envman holds now (a lock dies with its process: a leftover file is harmless)."""
    folder = ctx.paths.state / "locks"
    files = sorted(folder.glob("*.lock")) if folder.is_dir() else []
    held = [(f, locks.holder(f)) for f in files if locks.is_held(f)]
    if not held:
        return [Check("locks", "ok", "no envman is changing anything now")]
    return [
        Check("locks", "info", f"{f.stem} is held by pid {pid or '?'} (an envman at work)")
        for f, pid in held
    ]


def half_done_swaps(ctx: Context) -> list[Check]:
    """Swaps a crash interrupted; one whose environment is locked is under way right now."""
    names = journal.pending(ctx.paths)
    if not names:
        return [Check("swaps", "ok", "no half-done swap")]
    checks = []
    for name in names:
        lock = locks.env_lock(ctx.paths, name)
        if locks.is_held(lock):
            pid = locks.holder(lock) or "?"
            checks.append(Check("swaps", "info", f"{name}: being swapped now (pid {pid})"))
            continue
        checks.append(
            Check(
                "swaps",
                "warn",
                f"{name}: a container swap did not finish (the environment still runs)",
                f"`envman up {name}` (or `envman ls`) finishes or undoes it",
            )
        )
    return checks


def bridge_unit(ctx: Context) -> Check:
    """The path-bridge's user unit: only looked at (never started) when it is installed."""
    from envman.bridge.systemd import unit_path

    unit = unit_path(ctx.paths.config.parent)
    if not unit.exists():
        return Check("bridge", "ok", "not installed (only Flatpak apps need it)")
    from envman.ops import bridge

    try:
        report = bridge.status(ctx)
    except EnvmanError as exc:
        return Check("bridge", "warn", exc.message, exc.hint or "see `envman bridge status`")
    enabled = report.service.get("UnitFileState", "")
    active = report.service.get("ActiveState", "")
    detail = f"{unit}: {enabled}, {active}" if report.service else f"{unit}: installed"
    if report.problems:
        return Check("bridge", "warn", f"{detail}; {report.problems[0]}", "`envman bridge status`")
    if enabled != "enabled":
        return Check("bridge", "warn", detail, "`envman bridge install` enables and starts it")
    return Check("bridge", "ok", detail)


def registry(_ctx: Context) -> Check:
    """Team registry and signing keys (a later step adds their settings; check them here)."""
    return Check("registry", "info", "no team registry configured")
