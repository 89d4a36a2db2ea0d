"""distrobox-export's files on the host: launchers and wrappers that name one container.

distrobox-export writes `~/.local/share/applications/BOX-ID.desktop` whose Exec runs
`distrobox-enter -n BOX -- ...`, and `~/.local/bin/NAME` wrappers marked `# distrobox_binary`
and `# name: BOX` that run `distrobox-enter -n BOX -- 'PATH' "$@"`. Only small regular files
are read; nothing here is ever executed.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from envman.host.readfile import Refused, read_text

MAX_SIZE = 64 * 1024
ENTER = re.compile(r"distrobox(-enter|\s+enter)\b")


@dataclass(frozen=True)
class ForeignExport:
    """One file distrobox-export wrote for the container: an app's launcher or a bin wrapper."""

    kind: str  # app or bin
    key: str  # the desktop file id, or the binary's path inside the container
    path: str  # the file on the host


def find_exports(apps_dirs: tuple[Path, ...], bins_dir: Path, box: str) -> list[ForeignExport]:
    """distrobox's launchers and wrappers for `box`, sorted (apps first)."""
    found: dict[str, ForeignExport] = {}
    for directory in apps_dirs:
        for path in _files(directory, f"{box}-*.desktop"):
            key = _app_key(_read(path), box, path.name)
            if key:
                found.setdefault(str(path.resolve()), ForeignExport("app", key, str(path)))
    for path in _files(bins_dir, "*"):
        key = _bin_key(_read(path), box)
        if key:
            found.setdefault(str(path.resolve()), ForeignExport("bin", key, str(path)))
    return sorted(found.values(), key=lambda e: (e.kind, e.key, e.path))


def _files(directory: Path, pattern: str) -> list[Path]:
    try:
        return sorted(p for p in directory.glob(pattern) if p.is_file() and not p.is_symlink())
    except OSError:
        return []


def _read(path: Path) -> str:
    try:
        return read_text(str(path), MAX_SIZE)
    except (OSError, Refused, UnicodeDecodeError):
        return ""


def _app_key(text: str, box: str, file_name: str) -> str:
    """The desktop id of a launcher whose Exec enters `box`, "" when it is not one."""
    for line in text.splitlines():
        if line.startswith("Exec=") and ENTER.search(line) and _names_box(line[5:], box):
            return file_name.removeprefix(f"{box}-").removesuffix(".desktop")
    return ""


def _bin_key(text: str, box: str) -> str:
    """The in-container path a wrapper for `box` runs, "" when it is not one."""
    lines = text.splitlines()
    if "# distrobox_binary" not in lines[:3] or f"# name: {box}" not in lines[:4]:
        return ""
    for line in lines:
        if ENTER.search(line) and _names_box(line, box):
            words = _words(line)
            if "--" in words:
                rest = [w for w in words[words.index("--") + 1 :] if w != "sudo"]
                if rest and rest[0].startswith("/"):
                    return rest[0]
    return ""


def _names_box(command: str, box: str) -> bool:
    words = _words(command)
    return any(w in ("-n", "--name") and words[i + 1 : i + 2] == [box] for i, w in enumerate(words))


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line.strip())
    except ValueError:
        return []
