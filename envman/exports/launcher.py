"""What an export writes: the rewritten .desktop file, bin wrappers, the launcher shim."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence

from envman.exports.desktop_entry import DesktopFile, Entry, Group
from envman.exports.exec_line import Arg, join_exec, split_exec

MARKER_ENV = "X-Envman-Environment"
MARKER_ID = "X-Envman-Desktop-Id"
WRAPPER_MARKER = "# envman-export"
DROPPED_KEYS = ("TryExec", "DBusActivatable")


class NotLaunchable(ValueError):
    """A desktop entry envman cannot turn into a host launcher."""


def exported_entry(
    desktop: DesktopFile,
    *,
    env: str,
    app_id: str,
    launcher: Sequence[str],
    icons: Mapping[str, str],
    label: bool,
) -> DesktopFile:
    """The host launcher: every Exec through `envman run ENV --`, icons renamed, name labelled."""
    main = desktop.main
    if main.get("Type") != "Application":
        raise NotLaunchable(f"Type is {main.get('Type')!r}, not Application")
    if main.get("Exec") is None:
        raise NotLaunchable("it has no Exec key (D-Bus activation only)")
    for group in desktop.groups:
        _rewrite_group(group, env, launcher, icons)
    for key in DROPPED_KEYS:
        main.remove(key)
    if label:
        for entry in main.entries():
            if entry.base_key == "Name":
                entry.value = f"{entry.value} ({env})"
    if main.get("StartupWMClass") is None:
        main.set("StartupWMClass", app_id.removesuffix(".desktop"))
    main.set(MARKER_ENV, env)
    main.set(MARKER_ID, app_id)
    return desktop


def _rewrite_group(
    group: Group, env: str, launcher: Sequence[str], icons: Mapping[str, str]
) -> None:
    # Exec is a plain string in the spec, yet KConfig reads Exec[de] for a German session: a
    # localised variant would run in the host, so only the one Exec, wrapped, is kept.
    _drop(group, lambda x: x.base_key == "Exec" and x.key != "Exec")
    exec_value = group.get("Exec")
    if exec_value is not None:
        prefix = [Arg(word) for word in (*launcher, "run", env, "--")]
        group.set("Exec", join_exec(prefix + split_exec(exec_value)))
    for entry in group.entries():
        if entry.base_key == "Icon" and entry.value in icons:
            entry.value = icons[entry.value]
    # An icon envman refused (an unsafe name) maps to "": the launcher goes without it.
    _drop(group, lambda x: x.base_key == "Icon" and not x.value)


def _drop(group: Group, unwanted: Callable[[Entry], bool]) -> None:
    """Remove the entries `unwanted` picks; comments and blank lines stay."""
    group.lines = [x for x in group.lines if not (isinstance(x, Entry) and unwanted(x))]


def wrapper_script(env: str, binary: str, launcher: Sequence[str]) -> str:
    """A POSIX sh wrapper: inside the same environment it runs the binary directly."""
    run = " ".join(shlex.quote(word) for word in (*launcher, "run", env, "--", binary))
    return (
        "#!/bin/sh\n"
        f"{WRAPPER_MARKER} {shlex.quote(env)} {shlex.quote(binary)}\n"
        f"# Written by envman; `envman unexport {shlex.quote(env)} --bin {shlex.quote(binary)}`"
        " removes it.\n"
        f'if [ "${{ENVMAN_ENV:-}}" = {shlex.quote(env)} ]; then\n'
        f'    exec {shlex.quote(binary)} "$@"\n'
        "fi\n"
        f'exec {run} "$@"\n'
    )


def launcher_shim(preferred: Sequence[str]) -> str:
    """The stable path launchers call: the envman that wrote it, else whichever is on PATH."""
    command = " ".join(shlex.quote(word) for word in preferred)
    return (
        "#!/bin/sh\n"
        "# envman launcher: exported apps and wrappers run this, so they keep working when\n"
        "# envman is upgraded or reinstalled. Rewritten by every envman export.\n"
        f"if [ -x {shlex.quote(preferred[0])} ]; then\n"
        f'    exec {command} "$@"\n'
        "fi\n"
        'exec envman "$@"\n'
    )
