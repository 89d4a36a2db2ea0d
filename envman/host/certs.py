"""The CA certificates the host trusts locally (beyond its distribution's bundle)."""

from __future__ import annotations

import stat
from pathlib import Path

# Where each distribution family keeps administrator-added trust anchors.
ANCHOR_DIRS = (
    "/usr/local/share/ca-certificates",
    "/etc/pki/ca-trust/source/anchors",
    "/etc/ca-certificates/trust-source/anchors",
    "/etc/pki/trust/anchors",
)
MAX_BYTES = 256 * 1024


def host_ca_certificates(dirs: tuple[str, ...] = ANCHOR_DIRS) -> dict[str, bytes]:
    """PEM certificates found in the host's anchor directories, by a flat unique name."""
    found: dict[str, bytes] = {}
    for root in map(Path, dirs):
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.suffix not in (".crt", ".pem"):
                continue
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
                continue
            data = path.read_bytes()
            if b"-----BEGIN CERTIFICATE-----" in data:
                name = "-".join(path.relative_to(root).with_suffix(".crt").parts)
                found.setdefault(name, data)
    return found
