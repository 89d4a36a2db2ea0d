"""What moved in a source since a commit: the ref's commit now, and tags newer than a tag."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from envman.paths import Paths
from envman.sources import git
from envman.sources.layout import locked
from envman.sources.lookup import synced_record
from envman.sources.registry import find_source, load_sources
from envman.sources.sync import source_dir


@dataclass(frozen=True)
class RefNow:
    """A ref as of the last sync, and the tags that sort after it (by version)."""

    source: str
    ref: str
    commit: str
    newer_tags: tuple[str, ...]


def ref_now(paths: Paths, source_name: str, ref: str) -> RefNow:
    """Resolve `ref` in the last sync of a source, offline."""
    source = find_source(load_sources(paths.sources_file), source_name)
    directory = source_dir(paths, source.name)
    with locked(directory, exclusive=False):
        record = synced_record(paths, source)
        mirror = directory.mirror(record.mirror)
        resolved = git.resolve_ref(mirror, ref, source.name)
        newer = _newer_tags(mirror, ref) if resolved.kind == "tag" else ()
    return RefNow(source.name, ref, resolved.commit, newer)


def _newer_tags(mirror: Path, tag: str) -> tuple[str, ...]:
    result = git.git(
        ["for-each-ref", "--sort=-v:refname", "--format=%(refname:short)", "refs/tags"],
        git_dir=mirror,
    )
    tags = result.stdout.split() if result.ok else []
    return tuple(tags[: tags.index(tag)]) if tag in tags else ()
