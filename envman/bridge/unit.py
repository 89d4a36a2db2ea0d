"""The systemd user unit that runs the bridge daemon: deterministic text and systemd quoting."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

UNIT_NAME = "envman-bridge.service"
DAEMON_MODULE = "envman.bridge"
# Variables whose value at install time decides which files the daemon reads and writes.
PASSED_ENV = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "FLATPAK_USER_DIR")

_PLAIN = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")


def exec_start(python: str) -> list[str]:
    """ExecStart argv: this interpreter (absolute, not resolved: a venv's python is a symlink that
    must stay one) running the daemon module, without typer and without the console script."""
    return [python, "-m", DAEMON_MODULE]


def quote(arg: str, *, command: bool = False) -> str:
    """One ExecStart word: specifiers (%) and variables ($) escaped, quoted when needed.

    systemd expands $VAR in arguments but not in the command itself, so `$` stays as is there.
    """
    escaped = arg.replace("%", "%%")
    if not command:
        escaped = escaped.replace("$", "$$")
    if _PLAIN.match(arg):
        return escaped
    escaped = escaped.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _environment(name: str, value: str) -> str:
    """An Environment= line; systemd wants quotes around the whole assignment, not the value."""
    escaped = value.replace("%", "%%")
    if _PLAIN.match(value):
        return f"Environment={name}={escaped}\n"
    escaped = escaped.replace("\\", "\\\\").replace('"', '\\"')
    return f'Environment="{name}={escaped}"\n'


def render_unit(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """The unit file text for ARGV; ENVIRON supplies the PASSED_ENV values that are set."""
    env_lines = "".join(
        _environment(name, environ[name]) for name in PASSED_ENV if environ.get(name)
    )
    return (
        "# Written by `envman bridge install`; `envman bridge uninstall` removes it.\n"
        "[Unit]\n"
        "Description=envman path-bridge: rewrites Flatpak sandbox paths in watched files\n"
        "\n"
        "[Service]\n"
        "Type=notify\n"
        f"ExecStart={' '.join(quote(a, command=i == 0) for i, a in enumerate(argv))}\n"
        "ExecReload=/bin/kill -HUP $MAINPID\n"
        "Restart=on-failure\n"
        "RestartSec=2\n"
        "Environment=PYTHONUNBUFFERED=1\n"
        f"{env_lines}"
        "NoNewPrivileges=yes\n"
        "\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )
