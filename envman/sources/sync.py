"""Syncing a source atomically: fetch into a new mirror, check it, then swap the record."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from envman.errors import SourceInvalid
from envman.paths import Paths
from envman.sources import git, trust
from envman.sources.layout import SourceDir, SyncRecord, locked, read_sync_record, write_sync_record
from envman.sources.names import check_source_name
from envman.sources.registry import TeamSource
from envman.sources.tree import materialise


@dataclass(frozen=True)
class Synced:
    """What one sync did."""

    name: str
    ref: str
    kind: str
    commit: str
    previous: str | None  # the commit before, None on the first sync
    signer: str

    @property
    def changed(self) -> bool:
        """Whether the source's ref now names another commit."""
        return self.previous != self.commit


def source_dir(paths: Paths, name: str) -> SourceDir:
    """Where a source's mirrors and trees live."""
    return SourceDir(paths.sources / check_source_name(name))


def sync_source(paths: Paths, source: TeamSource) -> Synced:
    """Fetch `source`; only a complete, checked (and, with verify, verified) result is kept.

    A failure or an interruption at any step leaves the previous mirror, record and trees.
    """
    directory = source_dir(paths, source.name)
    what = f"source '{source.name}'"
    with locked(directory, exclusive=True):
        previous = read_sync_record(directory)
        staging = Path(tempfile.mkdtemp(prefix="mirror-", dir=directory.root))
        try:
            if previous is None:
                git.clone_mirror(source.url, staging, what)
            else:
                git.clone_mirror(str(directory.mirror(previous.mirror)), staging, what)
                git.fetch(staging, source.url, what, update_head=source.ref is None)
            ref_name = source.ref or git.default_branch(staging)
            if ref_name is None:
                raise SourceInvalid(
                    f"{what}: {source.url} has no default branch",
                    f"give a ref: `envman source add {source.name} URL --ref BRANCH_OR_TAG`",
                )
            ref = git.resolve_ref(staging, ref_name, source.name)
            signer = trust.verify(staging, ref, source.name) if source.verify else ""
            materialise(directory, staging, ref.commit, f"{what} at {ref.name}")
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            record = SyncRecord(
                staging.name, ref.name, ref.kind, ref.commit, source.url, stamp, signer
            )
            write_sync_record(directory, record)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _drop_old_mirrors(directory, keep=staging.name)
    return Synced(
        source.name,
        ref.name,
        ref.kind,
        ref.commit,
        previous.commit if previous else None,
        signer,
    )


def _drop_old_mirrors(directory: SourceDir, keep: str) -> None:
    """Mirrors no record names any more (also those of interrupted syncs)."""
    for path in directory.root.glob("mirror-*"):
        if path.name != keep and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def remove_source_dir(paths: Paths, name: str) -> bool:
    """Delete everything envman keeps of a source; False when there was nothing."""
    directory = source_dir(paths, name)
    if not directory.root.is_dir():
        return False
    with locked(directory, exclusive=True):
        for path in directory.root.iterdir():
            if path.name != directory.lock_file.name:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
    shutil.rmtree(directory.root, ignore_errors=True)
    return True
