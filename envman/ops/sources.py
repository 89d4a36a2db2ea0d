"""Team source operations: add, list, sync and remove git repositories of profiles."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from envman.errors import EnvmanError, SourceNameError
from envman.host.writer_locks import DEFAULT_WAIT, hold, sources_lock
from envman.ops.context import Context
from envman.sources.layout import read_sync_record
from envman.sources.names import check_ref, check_source_name, normalise_url
from envman.sources.registry import TeamSource, find_source, load_sources, save_sources
from envman.sources.sync import Synced, remove_source_dir, source_dir, sync_source

WHAT = "the team sources"


@dataclass(frozen=True)
class SourceInfo:
    """One row of `source list`."""

    name: str
    url: str
    ref: str  # as configured; '' means the remote's default branch
    verify: bool
    synced_ref: str
    kind: str
    commit: str
    synced: str
    signer: str


def add(
    ctx: Context,
    name: str,
    url: str,
    *,
    ref: str | None,
    verify: bool,
    wait: float | None = DEFAULT_WAIT,
) -> Synced:
    """Register a source and sync it; nothing is recorded unless the first sync succeeds.

    One writer at a time (`wait` seconds for another, None: for ever), from the check that the
    name is free to the write of sources.yaml.
    """
    check_source_name(name)
    if ref is not None:
        check_ref(ref, name)
    source = TeamSource(name, normalise_url(url, ctx.paths.cwd), ref, verify)
    with hold(sources_lock(ctx.paths), WHAT, wait=wait):
        return _add(ctx, source)


def _add(ctx: Context, source: TeamSource) -> Synced:
    name = source.name
    sources = load_sources(ctx.paths.sources_file)
    if any(s.name == name for s in sources):
        raise SourceNameError(
            f"a source named '{name}' exists",
            f"`envman source sync {name}` updates it; `envman source rm {name}` removes it",
        )
    directory = source_dir(ctx.paths, name)
    if directory.root.exists():  # left from a failed add or a hand-edited sources.yaml
        shutil.rmtree(directory.root)
    try:
        synced = sync_source(ctx.paths, source)
    except BaseException:
        shutil.rmtree(directory.root, ignore_errors=True)
        raise
    save_sources(ctx.paths.sources_file, [*sources, source])
    return synced


def list_sources(ctx: Context) -> list[SourceInfo]:
    """The sources in lookup order with their last good sync."""
    rows = []
    for s in load_sources(ctx.paths.sources_file):
        record = read_sync_record(source_dir(ctx.paths, s.name))
        rows.append(
            SourceInfo(
                s.name,
                s.url,
                s.ref or "",
                s.verify,
                record.ref if record else "",
                record.kind if record else "",
                record.commit if record else "",
                record.synced if record else "",
                record.signer if record else "",
            )
        )
    return rows


@dataclass(frozen=True)
class SyncOutcome:
    """One source's sync: what it did, or why it failed (the last good sync is kept)."""

    name: str
    synced: Synced | None
    error: str | None = None
    hint: str | None = None
    exit_code: int = 0


def sync(ctx: Context, name: str | None, *, wait: float | None = DEFAULT_WAIT) -> list[SyncOutcome]:
    """Sync one source (its errors raised) or all of them (each reported, none stopping others)."""
    if name is not None:
        check_source_name(name)
    with hold(sources_lock(ctx.paths), WHAT, wait=wait):
        return _sync(ctx, name)


def _sync(ctx: Context, name: str | None) -> list[SyncOutcome]:
    sources = load_sources(ctx.paths.sources_file)
    if name is not None:
        return [SyncOutcome(name, sync_source(ctx.paths, find_source(sources, name)))]
    outcomes = []
    for source in sources:
        try:
            outcomes.append(SyncOutcome(source.name, sync_source(ctx.paths, source)))
        except EnvmanError as exc:
            outcomes.append(SyncOutcome(source.name, None, exc.message, exc.hint, exc.exit_code))
    return outcomes


@dataclass(frozen=True)
class Removed:
    """What `source rm` removed."""

    name: str
    url: str
    data_removed: bool


def remove(ctx: Context, name: str, *, wait: float | None = DEFAULT_WAIT) -> Removed:
    """Forget a source and delete its mirror and checkouts (environments built from it stay)."""
    check_source_name(name)
    with hold(sources_lock(ctx.paths), WHAT, wait=wait):
        sources = load_sources(ctx.paths.sources_file)
        source = find_source(sources, name)
        save_sources(ctx.paths.sources_file, [s for s in sources if s.name != name])
        return Removed(name, source.url, remove_source_dir(ctx.paths, name))
