"""$XDG_STATE_HOME/envman with os alone, for the hot paths that cannot afford envman/paths.py."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def state_home(environ: Mapping[str, str] | None = None) -> str:
    """envman's state directory, as Paths.from_env computes it."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_STATE_HOME", "")
    if not base.startswith("/"):
        base = os.path.join(env.get("HOME") or os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "envman")
