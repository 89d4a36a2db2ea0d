"""Lock operations: write envman.lock, build exactly what it names, show outdated inputs."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

from envman.errors import LockMismatch, UsageError
from envman.host.files import write_atomic
from envman.host.registry import registry_digest
from envman.lockfile_format import (
    LOCK_NAME,
    LockedProfile,
    LockedSource,
    LockFile,
    OldLock,
    override_mismatch,
    parse_lock,
    render_lock,
    runtime_changes,
    runtime_digests,
)
from envman.ops.build_inputs import Resolved, resolve_profile
from envman.ops.context import Context
from envman.ops.lock_hash import hashed_as_tag
from envman.profile.model import DEFAULT_IMAGE
from envman.profile.resolver import list_profiles
from envman.sources.lookup import lookup_dirs
from envman.sources.updates import ref_now


@dataclass(frozen=True)
class Locked:
    """One profile written to a lock."""

    name: str
    lock: str
    content_hash: str
    base: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class OutdatedRow:
    """One input of a locked profile that is newer (or different) than the lock says."""

    profile: str
    input: str
    locked: str
    now: str
    note: str


def lock_file_of(resolved: Resolved) -> Path:
    """A profile's lock lives beside it."""
    return resolved.ref.path.parent / LOCK_NAME


def read_lock(path: Path) -> LockFile:
    """A lock file, or an empty one when there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LockFile()
    return parse_lock(text, str(path))


def repository_of(image: str) -> str:
    """The image name without tag or digest: registry:5000/a/b:tag -> registry:5000/a/b."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)
    if ":" in last[-1]:
        name = name[: name.rfind(":")]
    return name


# --- up with a lock ----------------------------------------------------------------------------


def resolve_for_up(ctx: Context, arg: str) -> Resolved:
    """The profile as `up` builds it: with a lock beside it, exactly the locked inputs."""
    resolved = resolve_profile(ctx.paths, ctx.config, arg)
    path = lock_file_of(resolved)
    if not path.is_file():
        return resolved
    entry = read_lock(path).get(resolved.name)
    if entry is None:
        return resolved
    return _locked(ctx, resolved, entry, path, arg)


def _locked(
    ctx: Context, resolved: Resolved, entry: LockedProfile, path: Path, arg: str
) -> Resolved:
    name = resolved.name
    image = resolved.profile.image or DEFAULT_IMAGE
    _check_base(ctx, entry, path, name, image)
    base_ref = entry.base_ref(repository_of(resolved.base_image))
    if ctx.engine().image(base_ref) is None:
        raise LockMismatch(
            f"{path}: {name}: the locked base image {base_ref} is not here",
            f"pull it (podman pull {base_ref}), or `envman update {name}` to lock what is here",
        )
    pins = {s.source: s.commit for s in entry.sources}
    locked = _resolve_pinned(ctx, arg, image, base_ref, pins)
    _check_unchanged(ctx, locked, entry, path, name)
    return hashed_as_tag(ctx.engine(), locked, resolved.base_image, entry.base_digest)


def _check_base(ctx: Context, entry: LockedProfile, path: Path, name: str, image: str) -> None:
    """The profile's base image and this host's override of it are the locked ones."""
    if image != entry.base_image:
        raise LockMismatch(
            f"{path}: {name}: the profile's image is {image}, the lock has {entry.base_image}",
            f"review the change, then `envman update {name}` moves the lock",
        )
    mismatch = override_mismatch(entry, ctx.config.image_overrides.get(image, ""))
    if mismatch is not None:
        same = entry.base_override or "--unset"
        raise LockMismatch(
            f"{path}: {name}: {mismatch}",
            f"`envman config image-override {image} {same}` makes it the same, or "
            f"`envman update {name}` locks what this machine builds from",
        )


def _check_unchanged(
    ctx: Context, locked: Resolved, entry: LockedProfile, path: Path, name: str
) -> None:
    """The build content and runtime settings are the locked ones; else what changed."""
    runtime = runtime_changes(entry, runtime_digests(locked.profile))
    if locked.plan.content_hash == entry.content_hash and not runtime:
        return
    changed = [key for key, now, then in _file_changes(ctx, locked, entry) if now != then]
    what = ", ".join(changed) or ("its runtime settings" if runtime else "its build content")
    detail = f" (runtime settings: {', '.join(runtime)})" if runtime else ""
    raise LockMismatch(
        f"{path}: {name}: {what} changed since the lock was written{detail}",
        f"review the change, then `envman update {name}` moves the lock",
    )


def _resolve_pinned(
    ctx: Context, arg: str, image: str, base_ref: str, pins: dict[str, str]
) -> Resolved:
    overrides = {**ctx.config.image_overrides, image: base_ref}
    config = replace(ctx.config, image_overrides=overrides)
    return resolve_profile(ctx.paths, config, arg, source_pins=pins)


# --- writing locks -----------------------------------------------------------------------------


def lock(ctx: Context, names: list[str]) -> list[Locked]:
    """Lock profiles (default: every profile of ./profiles) into the envman.lock beside them."""
    results = []
    for arg in names or _local_names(ctx):
        resolved = resolve_profile(ctx.paths, ctx.config, arg)
        _check_lockable(ctx, resolved)
        entry = _entry(ctx, resolved, arg)
        path = lock_file_of(resolved)
        write_atomic(path, render_lock(_current(path).with_profile(entry)))
        sources = tuple(f"{s.source}@{s.ref} {s.commit[:12]}" for s in entry.sources)
        base = f"{entry.base_image} {entry.base_digest}"
        if entry.base_override:
            base += f" (from the local override {entry.base_override})"
        results.append(Locked(entry.name, str(path), entry.content_hash, base, sources))
    return results


def _current(path: Path) -> LockFile:
    """The lock to add an entry to: an older format's is written again from scratch."""
    try:
        return read_lock(path)
    except OldLock:
        return LockFile()


def _local_names(ctx: Context) -> list[str]:
    directory = ctx.paths.profile_dirs[0]
    names = sorted({ref.name for ref, _ in list_profiles((directory,))})
    if not names:
        raise UsageError(
            f"no profiles in {directory} to lock", "name the profiles: envman lock NAME..."
        )
    return names


def _check_lockable(ctx: Context, resolved: Resolved) -> None:
    directory = resolved.ref.path.parent.resolve()
    if resolved.revision is not None or directory == ctx.paths.shipped.resolve() / "profiles":
        raise UsageError(
            f"{resolved.ref}: locks are written beside your own profiles",
            "a source's lock is written in its repository; copy a shipped profile to ./profiles",
        )


def _entry(ctx: Context, resolved: Resolved, arg: str) -> LockedProfile:
    base = ctx.engine().image(resolved.base_image)
    if base is None or not base.digest:
        raise LockMismatch(
            f"{resolved.name}: the base image {resolved.base_image} is not here to lock",
            f"build it once (envman up {resolved.name}) or pull it, then lock",
        )
    sources = _sources_used(ctx, resolved)
    image = resolved.profile.image or DEFAULT_IMAGE
    base_ref = f"{repository_of(resolved.base_image)}@{base.digest}"
    pins = {s.source: s.commit for s in sources}
    pinned = _resolve_pinned(ctx, arg, image, base_ref, pins)
    files = tuple((key, now) for key, now, _ in _file_changes(ctx, pinned, None))
    # The hash `up` will ask the registry for, as resolve_for_up computes it from this lock.
    as_up = hashed_as_tag(ctx.engine(), pinned, resolved.base_image, base.digest)
    from envman.ops.team_images import lookup  # the registry client: only when locking

    found = lookup(ctx, as_up, strict=False)
    published = f"{found.image.rpartition(':')[0]}@{found.digest}" if found.digest else ""
    return LockedProfile(
        resolved.name,
        pinned.plan.content_hash,
        image,
        base.digest,
        files,
        tuple(sources),
        ctx.config.image_overrides.get(image, ""),
        runtime_digests(pinned.profile),
        published,
    )


def locked_published(resolved: Resolved) -> str:
    """The team image the lock beside the profile pins (REPOSITORY@sha256:...), or ""."""
    path = lock_file_of(resolved)
    entry = read_lock(path).get(resolved.name) if path.is_file() else None
    return entry.published if entry is not None else ""


def _sources_used(ctx: Context, resolved: Resolved) -> list[LockedSource]:
    used = {}
    for path in _input_files(resolved):
        found = _source_of(ctx, path)
        if found is not None:
            name, commit, _ = found
            used[name] = LockedSource(name, _source_refs(ctx).get(name, commit), commit)
    return [used[k] for k in sorted(used)]


def _source_refs(ctx: Context) -> dict[str, str]:
    return {d.source: d.ref for d in lookup_dirs(ctx.paths) if d.source and d.ref}


def _source_of(ctx: Context, path: Path) -> tuple[str, str, Path] | None:
    """(source, commit, tree) when `path` lies in a source's checkout: sources/NAME/trees/COMMIT."""
    try:
        parts = path.resolve().relative_to(ctx.paths.sources.resolve()).parts
    except ValueError:
        return None
    if len(parts) < 4 or parts[1] != "trees":
        return None
    return parts[0], parts[2], ctx.paths.sources.resolve() / parts[0] / "trees" / parts[2]


def _input_files(resolved: Resolved) -> list[Path]:
    return sorted({*resolved.files, *resolved.scripts.values()})


def _file_key(ctx: Context, resolved: Resolved, path: Path) -> str:
    """How the lock names a file, the same on every machine.

    Relative to the profiles directory; SOURCE:path in a team source; envman:path for the files
    envman ships (hooks/host-exec.sh); config:path in the user's envman configuration.
    """
    real = path.resolve()
    found = _source_of(ctx, path)
    if found is not None:
        return f"{found[0]}:{real.relative_to(found[2])}"
    root = resolved.ref.path.parent.resolve()
    if real.is_relative_to(root.parent):
        return os.path.relpath(real, root)
    for prefix, directory in (("envman", ctx.paths.shipped), ("config", ctx.paths.config)):
        if real.is_relative_to(directory.resolve()):
            return f"{prefix}:{real.relative_to(directory.resolve())}"
    return str(real)


def _file_changes(
    ctx: Context, resolved: Resolved, entry: LockedProfile | None
) -> list[tuple[str, str, str]]:
    """(key, sha256 now, sha256 locked) for every input file (locked "" when not in the lock)."""
    locked = dict(entry.files) if entry else {}
    rows = []
    for path in _input_files(resolved):
        key = _file_key(ctx, resolved, path)
        rows.append((key, hashlib.sha256(path.read_bytes()).hexdigest(), locked.pop(key, "")))
    rows += [(key, "", sha) for key, sha in sorted(locked.items())]
    return rows


# --- outdated and update -----------------------------------------------------------------------


def _locked_names(ctx: Context, names: list[str]) -> list[str]:
    if names:
        return names
    path = ctx.paths.profile_dirs[0] / LOCK_NAME
    found = [p.name for p in read_lock(path).profiles]
    if not found:
        raise LockMismatch(f"no {path}", "write one with `envman lock`")
    return found


def outdated(ctx: Context, names: list[str]) -> list[OutdatedRow]:
    """Inputs with newer versions than the lock: base digests, files, source refs and tags."""
    rows: list[OutdatedRow] = []
    for arg in _locked_names(ctx, names):
        resolved = resolve_profile(ctx.paths, ctx.config, arg)
        entry = read_lock(lock_file_of(resolved)).get(resolved.name)
        if entry is None:
            rows.append(OutdatedRow(resolved.name, "lock", "-", "-", "not locked: envman lock"))
            continue
        rows += _base_rows(ctx, resolved, entry)
        rows += _source_rows(ctx, entry)
        rows += [
            OutdatedRow(entry.name, key, then[:12] or "-", now[:12] or "-", "file changed")
            for key, now, then in _file_changes(ctx, resolved, entry)
            if now != then
        ]
    return rows


def _base_rows(ctx: Context, resolved: Resolved, entry: LockedProfile) -> list[OutdatedRow]:
    here = ctx.config.image_overrides.get(entry.base_image, "")
    if override_mismatch(entry, here) is not None:
        note = "the lock was written with another image override"
        return [
            OutdatedRow(entry.name, "base override", entry.base_override or "-", here or "-", note)
        ]
    engine = ctx.engine()
    rows = []
    local = engine.image(resolved.base_image)
    if local is not None and local.digest and local.digest != entry.base_digest:
        rows.append(
            OutdatedRow(
                entry.name,
                f"base {resolved.base_image}",
                entry.base_digest[:19],
                local.digest[:19],
                "the local image moved",
            )
        )
    remote = registry_digest(resolved.base_image)
    if remote and remote != entry.base_digest:
        rows.append(
            OutdatedRow(
                entry.name,
                f"base {resolved.base_image}",
                entry.base_digest[:19],
                remote[:19],
                "the registry has a newer image",
            )
        )
    return rows


def _source_rows(ctx: Context, entry: LockedProfile) -> list[OutdatedRow]:
    rows = []
    for source in entry.sources:
        now = ref_now(ctx.paths, source.source, source.ref)
        label = f"source {source.source}@{source.ref}"
        if now.commit != source.commit:
            rows.append(
                OutdatedRow(entry.name, label, source.commit[:12], now.commit[:12], "moved")
            )
        if now.newer_tags:
            newest = now.newer_tags[0]
            note = f"newer tags: {', '.join(now.newer_tags[:5])}"
            rows.append(OutdatedRow(entry.name, label, source.ref, newest, note))
    return rows


def update(ctx: Context, names: list[str]) -> list[Locked]:
    """Move the lock to the current inputs (named profiles, default all locked ones)."""
    return lock(ctx, _locked_names(ctx, names))
