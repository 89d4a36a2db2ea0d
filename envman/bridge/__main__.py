"""`python -m envman.bridge`: the daemon the systemd unit starts (no typer: small, quick)."""

from __future__ import annotations

import sys


def main() -> int:
    """Run the bridge daemon for the current user until SIGTERM."""
    from envman.bridge.notify import configure_logging
    from envman.ops.bridge import run
    from envman.ops.context import Context
    from envman.paths import Paths

    configure_logging()
    return run(Context(paths=Paths.from_env()))


if __name__ == "__main__":
    sys.exit(main())
