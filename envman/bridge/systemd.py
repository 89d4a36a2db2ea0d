"""The bridge's user unit: its file in $XDG_CONFIG_HOME/systemd/user and `systemctl --user`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from envman.bridge import proc
from envman.bridge.unit import UNIT_NAME
from envman.errors import BridgeError
from envman.host.files import write_atomic

SHOWN = "UnitFileState,ActiveState,SubState,NRestarts,StatusText,MainPID"


def unit_path(config_home: Path) -> Path:
    """$XDG_CONFIG_HOME/systemd/user/envman-bridge.service."""
    return config_home / "systemd" / "user" / UNIT_NAME


def systemctl(environ: Mapping[str, str], *args: str) -> str:
    """`systemctl --user ARGS`; BridgeError (with the manager's words) when it fails."""
    status, out, err = proc.run(["systemctl", "--user", *args], env=environ)
    if status != 0:
        raise BridgeError(
            f"systemctl --user {' '.join(args)} failed: "
            f"{err.strip() or out.strip() or f'exit status {status}'}",
            "is a systemd user session running for you? `envman bridge run` works without one",
        )
    return out


def install_and_start(unit: Path, text: str, environ: Mapping[str, str]) -> None:
    """Write the unit, reload the manager, enable it, and (re)start it: the new unit and rules
    apply now. Type=notify makes `restart` return once the first reconcile is done."""
    write_atomic(unit, text)
    systemctl(environ, "daemon-reload")
    systemctl(environ, "enable", UNIT_NAME)
    systemctl(environ, "restart", UNIT_NAME)


def stop_and_remove(unit: Path, environ: Mapping[str, str]) -> list[str]:
    """Disable --now and delete the unit; what was done (nothing if it was not installed)."""
    if not unit.exists():
        return []
    done = []
    if proc.run(["systemctl", "--user", "disable", "--now", UNIT_NAME], env=environ)[0] == 0:
        done.append(f"stopped and disabled {UNIT_NAME}")
    unit.unlink()
    done.append(f"removed {unit}")
    proc.run(["systemctl", "--user", "daemon-reload"], env=environ)
    return done


def show(environ: Mapping[str, str]) -> tuple[dict[str, str], str | None]:
    """The unit's properties (SHOWN), or why the user manager could not be asked."""
    code, out, err = proc.run(["systemctl", "--user", "show", "-p", SHOWN, UNIT_NAME], env=environ)
    if code != 0:
        return {}, f"the systemd user manager did not answer: {err.strip() or out.strip()}"
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line), None
