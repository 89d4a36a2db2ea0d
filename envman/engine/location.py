"""Where podman is: one rule for every command, cheap enough for the `envman run` hot path.

`CONTAINER_HOST=unix://SOCKET` names the podman every command uses (the podman CLI of `envman
run` follows it too); envman never falls back from it to local podman. Without it podman is
local: the CLI itself, and for the API the user's socket or envman's private service.
Imports os only (see fastpath.py).
"""

from __future__ import annotations

import os

from envman.errors import EngineUnavailable

TYPE_CHECKING = False  # typing imports re: too slow for the `envman run` path
if TYPE_CHECKING:
    from collections.abc import Mapping

LOCAL_HINT = "or unset CONTAINER_HOST to use local podman"


def remote_socket(environ: Mapping[str, str]) -> str | None:
    """The unix socket CONTAINER_HOST names, or None when podman is local."""
    host = environ.get("CONTAINER_HOST", "")
    connection = environ.get("CONTAINER_CONNECTION", "")
    if not host and connection:
        raise EngineUnavailable(
            f"CONTAINER_CONNECTION={connection}: envman reaches podman through CONTAINER_HOST "
            "or locally, not through named connections",
            "set CONTAINER_HOST=unix://SOCKET of that connection, or unset CONTAINER_CONNECTION",
        )
    if not host:
        return None
    if not host.startswith("unix://") or len(host) == len("unix://"):
        raise EngineUnavailable(
            f"CONTAINER_HOST={host}: envman talks to podman over a unix socket only",
            f"set CONTAINER_HOST=unix:///PATH/podman.sock (ssh -L can forward one), {LOCAL_HINT}",
        )
    return host.removeprefix("unix://")


def unreachable(path: str, reason: str) -> EngineUnavailable:
    """The one error for a CONTAINER_HOST that does not answer, whichever command found it."""
    return EngineUnavailable(
        f"podman at CONTAINER_HOST=unix://{path} does not answer: {reason}",
        "start its service (systemctl --user start podman.socket, or podman system service "
        f"unix://{path}), {LOCAL_HINT}",
    )


def refused(path: str) -> str:
    """Why nothing accepts a connection on the unix socket `path`, or '' when something does."""
    import _socket  # not `socket`: it imports enum and selectors, too slow for `envman run`

    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(2.0)
        sock.connect(path)
    except OSError as exc:
        return exc.strerror or str(exc)
    finally:
        sock.close()
    return ""


def locate(environ: Mapping[str, str] | None = None) -> str | None:
    """Where podman is: CONTAINER_HOST's socket once it accepts connections, None for local."""
    path = remote_socket(os.environ if environ is None else environ)
    if path is not None:
        reason = refused(path)
        if reason:
            raise unreachable(path, reason)
    return path
