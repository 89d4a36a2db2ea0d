"""Wrapper scripts that let a consumer run a program in a Flatpak (or on the host): text, place."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from envman.bridge.rules import FlatpakCommand, HostCommand, LiteralPath, Replacement

HOST_WRAPPER_DIR = PurePosixPath("bridge", "bin")  # below envman's data dir
FLATPAK_WRAPPER_DIR = PurePosixPath("data", "envman-bridge")  # below ~/.var/app/<consumer>
WRAPPER_MODE = 0o755

_HEADER = (
    "#!/bin/sh\n"
    "# Written by `envman bridge`, which rewrites it when it differs: edit bridge.yaml instead.\n"
)


@dataclass(frozen=True)
class Places:
    """The two roots wrappers live under: the real home and envman's data dir."""

    home: Path
    data: Path


def wrapper_path(replace: FlatpakCommand | HostCommand, places: Places) -> Path:
    """Where the wrapper goes: envman's data dir for the host, or the consumer's ~/.var/app dir.

    A Flatpak sees its own ~/.var/app/<ID> at the same absolute path, so the manifest's path works
    inside the sandbox; ~/.local is not visible there.
    """
    if isinstance(replace, FlatpakCommand):
        name = f"{replace.app}.{replace.command}"
    else:
        name = f"host.{PurePosixPath(replace.program).name}"
    if replace.consumer == "host":
        return places.data / HOST_WRAPPER_DIR / name
    return places.home / ".var" / "app" / replace.consumer / FLATPAK_WRAPPER_DIR / name


def wrapper_text(replace: FlatpakCommand | HostCommand, flatpak_bin: str) -> str:
    """The script: deterministic for a given replacement and host flatpak binary."""
    if isinstance(replace, HostCommand):
        inside = f"# Runs inside the Flatpak {replace.consumer}"
        return (
            f"{_HEADER}{inside}: flatpak-spawn --host (allowed by\n"
            f"# --talk-name=org.freedesktop.Flatpak) starts {replace.program} on the host.\n"
            f'exec flatpak-spawn --host {shlex.quote(replace.program)} "$@"\n'
        )
    command, app = shlex.quote(replace.command), shlex.quote(replace.app)
    run = f"{shlex.quote(flatpak_bin)} run --command={command} {app}"
    if replace.consumer == "host":
        return (
            f"{_HEADER}# Runs {replace.command} inside the Flatpak {replace.app}, passing on the\n"
            "# arguments (a browser gives the manifest path or origin) and stdin/stdout.\n"
            f'exec {run} "$@"\n'
        )
    return (
        f"{_HEADER}# Runs inside the Flatpak {replace.consumer}: flatpak-spawn --host (allowed by\n"
        f"# --talk-name=org.freedesktop.Flatpak) starts flatpak on the host, which runs\n"
        f"# {replace.command} inside {replace.app}.\n"
        f'exec flatpak-spawn --host {run} "$@"\n'
    )


def replacement_value(replace: Replacement, places: Places) -> str:
    """The string written into the watched file: the literal path, or the wrapper's path."""
    if isinstance(replace, LiteralPath):
        return replace.path
    return str(wrapper_path(replace, places))


def program_key(replace: Replacement) -> tuple[str, ...]:
    """What program a replacement ends up running; wrappers with equal keys are interchangeable."""
    if isinstance(replace, FlatpakCommand):
        return ("flatpak", replace.app, replace.command)
    if isinstance(replace, HostCommand):
        return ("host", replace.program)
    return ("literal", replace.path)
