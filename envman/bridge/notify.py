"""systemd's notify protocol (a datagram to $NOTIFY_SOCKET) and journald-friendly log lines."""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger("envman.bridge")


def configure_logging() -> None:
    """Log lines on stderr; under systemd (JOURNAL_STREAM) with journald <N> priority prefixes."""
    handler = logging.StreamHandler()
    fmt = "%(levelname)s: %(message)s"
    if os.environ.get("JOURNAL_STREAM"):
        fmt = "%(syslog)s%(message)s"
        handler.addFilter(_syslog_prefix)
    handler.setFormatter(logging.Formatter(fmt))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    # watchdog logs an ERROR each time a watch of a deleted directory is dropped, which the
    # bridge does on purpose; its real failures surface as dead threads (see Watcher.healthy).
    logging.getLogger("watchdog").setLevel(logging.CRITICAL)


def _syslog_prefix(record: logging.LogRecord) -> bool:
    priority = {logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6}.get(record.levelno, 7)
    record.syslog = f"<{priority}>"
    return True


def sd_notify(message: str) -> None:
    """One datagram to $NOTIFY_SOCKET (systemd's Type=notify protocol); nothing without it."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        try:
            sock.sendto(message.encode(), address)
        except OSError as exc:
            log.warning("cannot notify systemd: %s", exc)
