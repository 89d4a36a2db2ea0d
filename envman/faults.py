"""Fault injection for crash tests: ENVMAN_FAULT=STEP makes envman kill itself at that step."""

from __future__ import annotations

import os
import signal


def point(step: str) -> None:
    """A named crash point; SIGKILL (no cleanup runs) when ENVMAN_FAULT names it."""
    if os.environ.get("ENVMAN_FAULT") == step:
        os.kill(os.getpid(), signal.SIGKILL)
