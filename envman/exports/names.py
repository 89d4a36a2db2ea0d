"""Names from containers are untrusted: what envman accepts, and the host names it makes."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

DESKTOP_ID_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+-]*\.desktop$")
ICON_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+-]*$")
BIN_NAME_RE = re.compile(r"^[A-Za-z0-9_+][A-Za-z0-9._+-]*$")
ICON_SIZE_RE = re.compile(r"^(?:[0-9]{1,4}x[0-9]{1,4}(?:@[0-9]x?)?|scalable|symbolic)$")
ICON_CONTEXT_RE = re.compile(r"^[a-z][a-z-]{0,31}$")
ICON_EXTENSIONS = (".png", ".svg", ".svgz", ".xpm")
PREFIX = "envman"


class UnsafeName(ValueError):
    """A name from a container that envman refuses to turn into a host file name."""


def desktop_id(value: str) -> str:
    """A checked desktop file id with its suffix: org.gnome.Foo -> org.gnome.Foo.desktop."""
    text = value if value.endswith(".desktop") else value + ".desktop"
    if not DESKTOP_ID_RE.fullmatch(text) or ".." in text:
        raise UnsafeName(f"'{value}' is not a desktop file id")
    return text


def desktop_id_of(data_dir: str, path: str) -> str | None:
    """The id the spec gives `path` under `data_dir`/applications (subdirectories join with -)."""
    base = PurePosixPath(data_dir) / "applications"
    try:
        relative = PurePosixPath(path).relative_to(base)
    except ValueError:
        return None
    text = "-".join(relative.parts)
    return text if DESKTOP_ID_RE.fullmatch(text) and ".." not in text else None


def launcher_file_name(env: str, app_id: str) -> str:
    """envman-ENV-ID.desktop: namespaced, so two environments never fight over a launcher."""
    return f"{PREFIX}-{env}-{app_id}"


def icon_name(value: str) -> str:
    """An Icon= name (no path, no extension) that is safe as part of a file name."""
    if not ICON_NAME_RE.fullmatch(value) or ".." in value:
        raise UnsafeName(f"icon name '{value}' is not safe to copy to the host")
    return value


def host_icon_name(env: str, name: str) -> str:
    """The icon's name on the host, namespaced like the launcher."""
    return f"{PREFIX}-{env}-{name}"


def bin_name(path: str) -> str:
    """The wrapper's file name: the binary's base name, checked."""
    name = PurePosixPath(path).name
    if not path.startswith("/") or not BIN_NAME_RE.fullmatch(name) or ".." in name:
        raise UnsafeName(f"'{path}' is not an absolute path to a binary envman can wrap")
    return name
