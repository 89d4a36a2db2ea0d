"""Flatpak facts for the bridge: installations, where an app is deployed, consumer permissions."""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from envman.bridge import fsops, proc

FLATPAK_BUS_NAME = "org.freedesktop.Flatpak"
INSTALLATIONS_D = Path("/etc/flatpak/installations.d")
KEYFILE_MAX = 64 * 1024  # overrides, metadata and installation files are a few hundred bytes


def installations(environ: Mapping[str, str], data_home: Path) -> list[Path]:
    """The user installation first, then the system ones: the order `flatpak run` uses."""
    found = [
        Path(environ.get("FLATPAK_USER_DIR") or data_home / "flatpak"),
        Path(environ.get("FLATPAK_SYSTEM_DIR") or "/var/lib/flatpak"),
    ]
    for conf in sorted(INSTALLATIONS_D.glob("*.conf")) if INSTALLATIONS_D.is_dir() else []:
        parser = _keyfile(conf)
        found += [Path(parser[s]["Path"]) for s in parser.sections() if "Path" in parser[s]]
    return list(dict.fromkeys(found))


def _keyfile(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(fsops.read_regular(path, KEYFILE_MAX).decode("utf-8"))
    except (OSError, fsops.Unsafe, UnicodeDecodeError, configparser.Error):
        return configparser.ConfigParser()
    return parser


@dataclass(frozen=True)
class AppLocation:
    """An installed app: its installation and the `current/active` files dir (survives updates)."""

    app: str
    installation: Path
    files: Path

    def has_command(self, command: str) -> bool:
        """Whether /app/bin/COMMAND exists and is executable in this deployment."""
        return os.access(self.files / "bin" / command, os.X_OK)


def locate(app: str, installs: list[Path]) -> AppLocation | None:
    """The first installation that has APP deployed, or None."""
    for inst in installs:
        files = inst / "app" / app / "current" / "active" / "files"
        if files.is_dir():
            return AppLocation(app, inst, files)
    return None


def describe(commands: set[tuple[str, str]], installs: list[Path]) -> dict[str, str]:
    """ "APP COMMAND" -> where it is installed, or what is missing, for `envman bridge status`."""
    found: dict[str, str] = {}
    for app, command in sorted(commands):
        where = locate(app, installs)
        if where is None:
            found[f"{app} {command}"] = "not installed"
        elif not where.has_command(command):
            found[f"{app} {command}"] = f"installed in {where.installation}, without {command}"
        else:
            found[f"{app} {command}"] = f"installed in {where.installation}"
    return found


def flatpak_binary() -> str:
    """The host's flatpak, for wrappers (absolute: a user manager's PATH may be short)."""
    return proc.which("flatpak") or "/usr/bin/flatpak"


@dataclass(frozen=True)
class Permission:
    """The one permission a Flatpak consumer needs to run its envman wrapper, and what it means."""

    consumer: str
    grant: tuple[str, ...]
    revoke: tuple[str, ...]
    explanation: str


def permission_for(consumer: str) -> Permission:
    """`flatpak override --user --talk-name=org.freedesktop.Flatpak CONSUMER`, explained."""
    return Permission(
        consumer=consumer,
        grant=("flatpak", "override", "--user", f"--talk-name={FLATPAK_BUS_NAME}", consumer),
        revoke=("flatpak", "override", "--user", f"--no-talk-name={FLATPAK_BUS_NAME}", consumer),
        explanation=(
            f"lets {consumer} talk to {FLATPAK_BUS_NAME}, so `flatpak-spawn --host` can start any "
            "program on the host, outside the sandbox, as you: a full sandbox escape for that app. "
            "envman's wrapper uses it only to start the native-messaging host, but anything "
            "running "
            f"inside {consumer} (a compromised page exploiting the browser, an extension with "
            "native messaging) could use it too."
        ),
    )


def permission_granted(consumer: str, installs: list[Path]) -> bool:
    """Whether an override (user or system) or the app itself lets CONSUMER reach the host."""
    app = locate(consumer, installs)
    files = [app.files.parent / "metadata"] if app is not None else []
    # Flatpak applies system overrides, then the user's; in each, global before per-app.
    for inst in reversed(installs):
        files += [inst / "overrides" / "global", inst / "overrides" / consumer]
    granted = False
    for path in files:
        policy = _keyfile(path)
        if policy.has_option("Session Bus Policy", FLATPAK_BUS_NAME):
            granted = policy["Session Bus Policy"][FLATPAK_BUS_NAME] in ("talk", "own")
    return granted


def apply_permission(permission: Permission, environ: Mapping[str, str]) -> tuple[bool, str]:
    """Run the grant command; (done, error text)."""
    argv = [flatpak_binary(), *permission.grant[1:]]
    status, _, err = proc.run(argv, env=environ)
    return status == 0, err.strip()
