"""Checks on untrusted profile values (names, packages, paths, env), shared by every format."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from envman.errors import ProfileSchemaError
from envman.names import RULE, is_name
from envman.profile.model import FileLine

PACKAGE_RE = re.compile(r"^[A-Za-z0-9@_.+:/][A-Za-z0-9@_.+:/=<>~*,-]*$")
ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
IMAGE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$")
HOSTNAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$")
DESKTOP_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
VOLUME_OPTIONS = frozenset(
    (
        "ro",
        "rw",
        "z",
        "Z",
        "U",
        "O",
        "rslave",
        "rshared",
        "rprivate",
        "slave",
        "shared",
        "private",
        "bind",
        "rbind",
        "nosuid",
        "nodev",
        "noexec",
        "suid",
        "dev",
        "exec",
        "idmap",
        "copy",
        "nocopy",
    )
)


def schema_error(
    origin: FileLine, key: str, problem: str, hint: str | None = None
) -> ProfileSchemaError:
    """The standard 'file:line: key: problem' error."""
    return ProfileSchemaError(f"{origin}: {key}: {problem}", hint)


def suggest(word: str, known: Iterable[str]) -> str | None:
    """A 'did you mean' hint for an unknown key, or None."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def check_name(value: str, origin: FileLine, key: str = "name") -> str:
    """Profile and environment names become container names: keep them plain."""
    if not is_name(value):
        raise schema_error(origin, key, f"{value!r} is not a valid name", RULE)
    return value


def check_package(value: str, origin: FileLine, key: str) -> str:
    """A package spec goes to the package manager as one argv word: no options, no spaces."""
    if not PACKAGE_RE.fullmatch(value):
        raise schema_error(
            origin,
            key,
            f"'{value}' is not a package name",
            "one package per item; no spaces, quotes or leading '-'",
        )
    return value


def check_env_key(value: str, origin: FileLine, key: str) -> str:
    """Environment variable names are shell-safe identifiers."""
    if not ENV_KEY_RE.fullmatch(value):
        raise schema_error(origin, key, f"'{value}' is not a valid environment variable name")
    return value


def check_text(value: str, origin: FileLine, key: str) -> str:
    """Free text may hold anything but NUL (argv and files cannot carry it)."""
    if "\0" in value:
        raise schema_error(origin, key, "contains a NUL byte")
    return value


def check_image(value: str, origin: FileLine, key: str = "image") -> str:
    """An image reference, optionally pinned with @sha256:..."""
    if not IMAGE_RE.fullmatch(value) or ".." in value:
        raise schema_error(
            origin,
            key,
            f"'{value}' is not an image reference",
            "e.g. registry.fedoraproject.org/fedora-toolbox:41 or NAME@sha256:DIGEST",
        )
    if "@" in value:
        digest = value.split("@", 1)[1]
        if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
            raise schema_error(origin, key, f"'{digest}' is not a sha256 digest")
    return value


def check_hostname(value: str, origin: FileLine, key: str = "hostname") -> str:
    """A host name of at most 64 characters (distrobox's limit too)."""
    if not HOSTNAME_RE.fullmatch(value):
        raise schema_error(
            origin, key, f"'{value}' is not a valid host name", "at most 64 of a-z 0-9 . -"
        )
    return value


def check_relative_path(value: str, origin: FileLine, key: str) -> str:
    """A path inside the profile's directory: relative, no '..' segments."""
    parts = value.split("/")
    if not value or value.startswith("/") or ".." in parts or "\0" in value:
        raise schema_error(
            origin,
            key,
            f"'{value}' must be a relative path inside the profile's directory",
            "profiles from a shared repository cannot reach outside it",
        )
    return value


def check_absolute_path(value: str, origin: FileLine, key: str) -> str:
    """An absolute path inside the container."""
    if not value.startswith("/") or "\0" in value or "\n" in value:
        raise schema_error(origin, key, f"'{value}' must be an absolute path")
    return value


def check_host_path(value: str, origin: FileLine, key: str) -> str:
    """A host path: absolute, or starting with ~ or $HOME (expanded when the container is made)."""
    if not (value.startswith(("/", "~", "$HOME", "${HOME}"))) or "\0" in value or "\n" in value:
        raise schema_error(
            origin, key, f"'{value}' must be an absolute path (or start with ~ or $HOME)"
        )
    return value


def check_volume(value: str, origin: FileLine, key: str) -> str:
    """SRC:DST[:OPTS] with an absolute DST and known options; SRC a path or a named volume."""
    parts = value.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise schema_error(origin, key, f"'{value}' is not SRC:DST[:OPTIONS]")
    src, dst = parts[0], parts[1]
    if src.startswith(("/", "~", "$HOME", "${HOME}")):
        check_host_path(src, origin, key)
    elif not is_name(src):
        raise schema_error(origin, key, f"'{src}' is neither an absolute path nor a volume name")
    check_absolute_path(dst, origin, key)
    if len(parts) == 3:
        unknown = [o for o in parts[2].split(",") if o not in VOLUME_OPTIONS]
        if unknown:
            raise schema_error(origin, key, f"unknown volume option '{unknown[0]}'")
    return value


def check_desktop_app(value: str, origin: FileLine, key: str) -> str:
    """A desktop file id (org.gnome.Foo) or an absolute .desktop path in the container."""
    if value.startswith("/"):
        if not value.endswith(".desktop") or "/../" in value:
            raise schema_error(origin, key, f"'{value}' is not a .desktop file path")
        return value
    if not DESKTOP_ID_RE.fullmatch(value.removesuffix(".desktop")):
        raise schema_error(origin, key, f"'{value}' is not a desktop file id")
    return value
