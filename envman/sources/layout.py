"""A source's directory: git mirrors, the record of the last good sync, trees and the lock."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from envman.errors import StateCorrupt
from envman.host.files import write_atomic

RECORD_VERSION = 1


@dataclass(frozen=True)
class SyncRecord:
    """The last good sync: which mirror is current and what the source's ref resolved to."""

    mirror: str  # directory name of the current bare mirror, beside the record
    ref: str  # the source's ref (its --ref, else the remote's default branch)
    kind: str  # tag, branch or commit
    commit: str
    url: str
    synced: str  # ISO 8601, UTC
    signer: str = ""  # who signed the ref, when the source requires verified refs
    record_version: int = RECORD_VERSION


@dataclass(frozen=True)
class SourceDir:
    """$XDG_DATA_HOME/envman/sources/NAME/."""

    root: Path

    @property
    def record_file(self) -> Path:
        """The record of the last good sync (swapped atomically)."""
        return self.root / "current.json"

    @property
    def trees(self) -> Path:
        """Materialised checkouts, one immutable directory per commit."""
        return self.root / "trees"

    def tree(self, commit: str) -> Path:
        """The checkout of one commit (profiles/ and hooks/ only)."""
        return self.trees / commit

    def mirror(self, name: str) -> Path:
        """A bare mirror repository by directory name."""
        return self.root / name

    @property
    def lock_file(self) -> Path:
        """Syncs hold it exclusively, readers shared."""
        return self.root / ".lock"


def read_record(directory: SourceDir) -> SyncRecord | None:
    """The last good sync, or None when the source was never synced (or its mirror is gone)."""
    path = directory.record_file
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StateCorrupt(f"{path}: {exc}", "run `envman source sync` to replace it") from None
    if data.get("record_version", 0) > RECORD_VERSION:
        raise StateCorrupt(
            f"{path} was written by a newer envman",
            "install a newer envman (`envman upgrade` upgrades environments, not envman)",
        )
    known = {f.name for f in fields(SyncRecord)}
    try:
        record = SyncRecord(**{k: v for k, v in data.items() if k in known})
    except TypeError as exc:
        raise StateCorrupt(f"{path}: {exc}", "run `envman source sync` to replace it") from None
    if "/" in record.mirror or record.mirror.startswith("."):
        raise StateCorrupt(f"{path}: bad mirror name", "run `envman source sync` to replace it")
    return record if directory.mirror(record.mirror).is_dir() else None


def write_record(directory: SourceDir, record: SyncRecord) -> None:
    """Swap in a new record: the moment a sync takes effect."""
    write_atomic(directory.record_file, json.dumps(asdict(record), indent=2) + "\n")


@contextmanager
def locked(directory: SourceDir, *, exclusive: bool) -> Iterator[None]:
    """Hold the source's lock: syncs and removals exclusively, readers shared."""
    directory.root.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)
