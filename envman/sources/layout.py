"""A source's directory: git mirrors, the record of the last good sync, trees and the lock."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from envman.host.json_state import read_json_record, write_json_record

RECORD_VERSION = 1
VERSION_KEY = "record_version"  # the record predates the shared "version" member
REPLACE_HINT = "run `envman source sync` to replace it"


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


def read_sync_record(directory: SourceDir) -> SyncRecord | None:
    """The last good sync, or None when the source was never synced (or its mirror is gone)."""
    record = read_json_record(
        directory.record_file,
        RECORD_VERSION,
        "the source's sync record",
        _sync_record,
        REPLACE_HINT,
        version_key=VERSION_KEY,
    )
    return record if record and directory.mirror(record.mirror).is_dir() else None


def _sync_record(data: dict[str, Any]) -> SyncRecord:
    """A SyncRecord back from its JSON form (unknown keys ignored); ValueError when damaged."""
    values: dict[str, Any] = {}
    for f in fields(SyncRecord):
        if f.name in data and f.name != VERSION_KEY:
            if not isinstance(data[f.name], str):
                raise ValueError(f"'{f.name}' holds {type(data[f.name]).__name__}")
            values[f.name] = data[f.name]
    record = SyncRecord(**values)
    if not record.mirror or "/" in record.mirror or record.mirror.startswith("."):
        raise ValueError("bad mirror name")
    return record


def write_sync_record(directory: SourceDir, record: SyncRecord) -> None:
    """Swap in a new record: the moment a sync takes effect."""
    data = asdict(record)
    write_json_record(directory.record_file, RECORD_VERSION, data, version_key=VERSION_KEY)


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
