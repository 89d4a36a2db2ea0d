"""Reading what an export needs from a running container: desktop files, icons, binaries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from envman.engine.types import Engine
from envman.errors import ExportFailed
from envman.exports import names
from envman.render.containerfile import data_file

APP_DATA_DIRS = ("/usr/local/share", "/usr/share", "/var/lib/flatpak/exports/share")
MAX_DESKTOP_FILE = 256 * 1024
MAX_ICON_FILE = 4 * 1024 * 1024
_MOUNTINFO_ESCAPE = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True)
class IconFile:
    """One icon file found in the container, and where it goes under the host's icons/."""

    name: str
    extension: str
    theme_dir: tuple[str, ...]
    data: bytes


class ContainerFiles:
    """Finds files with envman's scan script (names passed as argv) and reads them via the API."""

    def __init__(self, engine: Engine, container: str) -> None:
        self.engine = engine
        self.container = container
        self._mount_points: tuple[str, ...] | None = None

    def _scan(self, mode: str, *args: str) -> list[list[str]]:
        argv = ["/bin/sh", "-c", data_file("export-scan.sh"), "envman-export-scan", mode, *args]
        code, output = self.engine.exec(self.container, argv, user="root", env={})
        if code not in (0, 1):
            raise ExportFailed(
                f"{self.container}: looking for files failed: {output.strip()[-300:]}"
            )
        return [line.split("\t") for line in output.splitlines() if line]

    def mount_points(self) -> tuple[str, ...]:
        """Every mount point but /: the host's root, $HOME, /tmp, volumes, /proc, /sys, /dev."""
        if self._mount_points is None:
            found = {
                _MOUNTINFO_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), row[0])
                for row in self._scan("mounts")
            }
            if "/" not in found:
                raise ExportFailed(
                    f"{self.container}: cannot read the container's mounts",
                    "envman copies files only when it can tell they are the container's own",
                )
            self._mount_points = tuple(sorted(found - {"/"}))
        return self._mount_points

    def own(self, real: str) -> bool:
        """Whether a resolved path lies in the container's own tree, on no mount."""
        return not any(
            real == m or real.startswith(m.rstrip("/") + "/") for m in self.mount_points()
        )

    def desktop_files(self) -> dict[str, str]:
        """Desktop file id -> real path; earlier data directories win, as the spec says."""
        found: dict[str, str | None] = {}
        for row in self._scan("apps", *APP_DATA_DIRS):
            if len(row) != 3:
                continue
            app_id = names.desktop_id_of(row[0], row[1])
            if app_id is not None and app_id not in found:
                # One that leaves the container's tree still hides the later ones of its id.
                found[app_id] = row[2] if self.own(row[2]) else None
        return {app_id: real for app_id, real in found.items() if real is not None}

    def desktop_id_for(self, path: str) -> str | None:
        """The id a .desktop path has when it lies in an applications directory."""
        return next(
            (i for d in APP_DATA_DIRS if (i := names.desktop_id_of(d, path)) is not None), None
        )

    def real_file(self, path: str) -> str | None:
        """The real path of a regular file everyone may read, in the container's own tree."""
        rows = self._scan("file", path)
        return rows[0][0] if rows and self.own(rows[0][0]) else None

    def real_executable(self, path: str) -> str | None:
        """The real path of an executable regular file, or None."""
        rows = self._scan("bin", path)
        return rows[0][0] if rows else None

    def path_executables(self) -> dict[str, str]:
        """Command name -> path of each executable on the container's PATH (the first one wins)."""
        found: dict[str, str] = {}
        for row in self._scan("path"):
            if len(row) == 1 and row[0].startswith("/"):
                found.setdefault(PurePosixPath(row[0]).name, row[0])
        return found

    def read_text(self, path: str) -> bytes:
        """A desktop file's bytes."""
        return self.engine.read_file(self.container, path, MAX_DESKTOP_FILE)

    def icon_files(self, value: str) -> list[IconFile]:
        """The files of an Icon= value: every hicolor size and pixmap, or the absolute path."""
        if value.startswith("/"):
            return self._absolute_icon(value)
        name = names.icon_name(value)
        icons: list[IconFile] = []
        seen: set[tuple[tuple[str, ...], str]] = set()
        for row in self._scan("icons", name):
            if len(row) != 2:
                continue
            theme_dir, extension = _placement(row[0], name)
            if theme_dir is None or (theme_dir, extension) in seen or not self.own(row[1]):
                continue
            seen.add((theme_dir, extension))
            data = self.engine.read_file(self.container, row[1], MAX_ICON_FILE)
            icons.append(IconFile(name, extension, theme_dir, data))
        return icons

    def _absolute_icon(self, value: str) -> list[IconFile]:
        path = PurePosixPath(value)
        if path.suffix not in names.ICON_EXTENSIONS:
            raise names.UnsafeName(f"icon {value} is not a .png, .svg, .svgz or .xpm file")
        name = names.icon_name(path.stem)
        real = self.real_file(value)
        if real is None:
            return []
        data = self.engine.read_file(self.container, real, MAX_ICON_FILE)
        return [IconFile(name, path.suffix, (), data)]


def _placement(path: str, name: str) -> tuple[tuple[str, ...] | None, str]:
    """hicolor/SIZE/CONTEXT/NAME.ext keeps its SIZE/CONTEXT; a pixmap goes unthemed."""
    parts = PurePosixPath(path).parts
    extension = PurePosixPath(path).suffix
    if parts[-1] != name + extension or extension not in names.ICON_EXTENSIONS:
        return None, extension
    if "pixmaps" in parts:
        return (), extension
    if len(parts) >= 4 and parts[-4] == "hicolor":
        size, context = parts[-3], parts[-2]
        if names.ICON_SIZE_RE.fullmatch(size) and names.ICON_CONTEXT_RE.fullmatch(context):
            return ("hicolor", size, context), extension
    return None, extension
