"""Where profiles are looked up once sources exist, and `SOURCE/PROFILE@REF` -> one checkout."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from envman.errors import SourceNotFound
from envman.paths import Paths
from envman.profile.resolver import ProfileRef
from envman.sources import git, trust
from envman.sources.layout import SyncRecord, locked, read_sync_record
from envman.sources.names import Address, parse_address
from envman.sources.registry import TeamSource, find_source, load_sources
from envman.sources.sync import source_dir
from envman.sources.tree import materialise


@dataclass(frozen=True)
class Revision:
    """One commit of a source, checked out: where its profiles come from, and its provenance."""

    source: str
    ref: str  # as asked (or the source's ref)
    kind: str  # tag, branch or commit
    commit: str
    tree: Path
    signer: str = ""  # who signed it, for sources that require verified refs

    @property
    def profile_dirs(self) -> tuple[Path, ...]:
        """The only place its profiles (and their includes) are looked up."""
        return (self.tree / "profiles",)

    def address(self, profile: str) -> str:
        """`SOURCE/PROFILE@REF`, which selects this profile again."""
        return f"{self.source}/{profile}@{self.ref}"


@dataclass(frozen=True)
class LookupDir:
    """One directory of the lookup order and what it is."""

    path: Path
    kind: str  # cwd, config, source or shipped
    source: str | None = None
    ref: str | None = None
    commit: str | None = None
    revision: Revision | None = None  # for a source: its checkout, with who signed its ref


def lookup_dirs(paths: Paths, pins: Mapping[str, str] | None = None) -> tuple[LookupDir, ...]:
    """./profiles, the user's profiles, each synced source (order added), shipped profiles.

    `pins` (source name -> commit, from envman.lock) replaces a source's last sync by that commit.
    """
    cwd, config, shipped = paths.profile_dirs
    out = [LookupDir(cwd, "cwd"), LookupDir(config, "config")]
    for source in load_sources(paths.sources_file):
        record = read_sync_record(source_dir(paths, source.name))
        if record is None:
            continue
        if pins and source.name in pins:
            pinned = replace(open_revision(paths, source, pins[source.name]), ref=record.ref)
            out.append(_source_dir(pinned))
            continue
        tree = source_dir(paths, source.name).tree(record.commit)
        if tree.is_dir():
            # The sync verified the record's ref; a `verify` set by hand since then has not.
            signer = record.signer if source.verify else ""
            revision = Revision(source.name, record.ref, record.kind, record.commit, tree, signer)
            out.append(_source_dir(revision))
    out.append(LookupDir(shipped, "shipped"))
    return tuple(out)


def _source_dir(revision: Revision) -> LookupDir:
    return LookupDir(
        revision.tree / "profiles",
        "source",
        revision.source,
        revision.ref,
        revision.commit,
        revision,
    )


def synced_record(paths: Paths, source: TeamSource) -> SyncRecord:
    record = read_sync_record(source_dir(paths, source.name))
    if record is None:
        raise SourceNotFound(
            f"source '{source.name}' has not been synced",
            f"run `envman source sync {source.name}` (needs the network once)",
        )
    return record


def open_revision(paths: Paths, source: TeamSource, ref: str | None) -> Revision:
    """Resolve `ref` (default: the source's ref) in the last sync, offline; verify; check out."""
    directory = source_dir(paths, source.name)
    with locked(directory, exclusive=False):
        record = synced_record(paths, source)
        mirror = directory.mirror(record.mirror)
        resolved = git.resolve_ref(mirror, ref or record.ref, source.name)
        signer = trust.verify(mirror, resolved, source.name) if source.verify else ""
        label = f"source '{source.name}' at {resolved.name}"
        tree = materialise(directory, mirror, resolved.commit, label)
    return Revision(source.name, resolved.name, resolved.kind, resolved.commit, tree, signer)


def source_address(paths: Paths, arg: str) -> Address | None:
    """`arg` as a source address when it has that shape, is not a file, and its source exists."""
    address = parse_address(arg)
    if address is None or (paths.cwd / arg).exists():
        return None
    sources = load_sources(paths.sources_file)
    find_source(sources, address.source)  # an unknown source is an error, not a path
    return address


def revision_for_address(paths: Paths, address: Address) -> Revision:
    """The checkout an address names."""
    source = find_source(load_sources(paths.sources_file), address.source)
    return open_revision(paths, source, address.ref)


def revision_for_file(paths: Paths, ref: ProfileRef) -> Revision | None:
    """The source revision a found profile file belongs to, None when it is no source's."""
    try:
        relative = ref.path.resolve().relative_to(paths.sources.resolve())
    except ValueError:
        return None
    parts = relative.parts
    if len(parts) < 4 or parts[1] != "trees":
        return None
    name, commit = parts[0], parts[2]
    source = find_source(load_sources(paths.sources_file), name)
    record = synced_record(paths, source)
    return open_revision(paths, source, None if commit == record.commit else commit)
