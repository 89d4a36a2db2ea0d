"""Generation operations: history, rollback to an earlier image, pinning, collecting."""

from __future__ import annotations

from dataclasses import dataclass, replace

from envman.engine.types import ContainerInfo, Engine, ImageInfo
from envman.errors import Busy, EnvmanError, EnvNotFound, GenerationNotFound
from envman.history import Generation, History, history_file, load_history, save_history
from envman.journal import Commit
from envman.ops.address import recorded_address
from envman.ops.context import Context
from envman.ops.envs import changing, existing_container, profile_key, spec_key, state_of
from envman.ops.images import release, users
from envman.ops.listing import OWNER_LABEL
from envman.ops.lockfile import resolve_for_up
from envman.ops.swap import commit, replace_container

DEFAULT_KEEP = 2


@dataclass(frozen=True)
class GenerationRow:
    """One line of `envman history`."""

    number: int
    current: bool
    pinned: bool
    version: str
    content_hash: str
    image_id: str
    created: str
    source: str
    revision: str
    image_present: bool
    pulled_from: str = ""  # REGISTRY/REPO@sha256:... when the image came from a team registry


@dataclass(frozen=True)
class RolledBack:
    """What `rollback` switched from and to."""

    name: str
    from_generation: int
    to_generation: int
    image_id: str
    kept: bool  # up keeps this generation until the profile changes


@dataclass(frozen=True)
class Collected:
    """What `gc` removed for one environment."""

    name: str
    generations: tuple[int, ...]
    images: tuple[str, ...]
    freed_bytes: int


def _history(ctx: Context, name: str) -> History:
    history = load_history(ctx.paths, name)
    if not history.generations:
        raise EnvNotFound(f"no generations of '{name}'", f"create it first: envman up {name}")
    return history


def history(ctx: Context, name: str) -> list[GenerationRow]:
    """Every generation of an environment, newest first, like `rpm-ostree status`."""
    recorded = _history(ctx, name)
    engine = ctx.engine()
    rows = [
        GenerationRow(
            g.number,
            g.number == recorded.current,
            g.pinned,
            g.profile_version,
            g.content_hash[:12],
            g.image_id[:12],
            g.created,
            g.source,
            g.revision,
            engine.image(g.image) is not None,
            g.pulled_from,
        )
        for g in recorded.generations
    ]
    return sorted(rows, key=lambda r: -r.number)


def _generation(recorded: History, number: int) -> Generation:
    found = recorded.get(number)
    if found is None:
        known = ", ".join(str(g.number) for g in recorded.generations)
        raise GenerationNotFound(
            f"{recorded.env} has no generation {number}", f"generations: {known}"
        )
    return found


def rollback(ctx: Context, name: str, number: int | None = None) -> RolledBack:
    """Switch the container to an earlier (or any kept) generation's image, without building."""
    with changing(ctx, name):
        return _rollback_locked(ctx, ctx.engine(), name, number)


def _rollback_locked(ctx: Context, engine: Engine, name: str, number: int | None) -> RolledBack:
    recorded = _history(ctx, name)
    number = _previous(recorded) if number is None else number
    target = _generation(recorded, number)
    if engine.image(target.image) is None:
        raise GenerationNotFound(
            f"the image of generation {number} of {name} is gone", "it was collected or removed"
        )
    existing = existing_container(ctx, engine, name)
    # A rollback switches images, not profiles: the environment keeps its profile's address.
    address = recorded_address(ctx.paths, name, existing) or name
    labels = (*[kv for kv in target.spec.labels if kv[0] != OWNER_LABEL], (OWNER_LABEL, name))
    spec = replace(target.spec, image=target.image, labels=labels)
    newest = max(g.number for g in recorded.generations)
    held = _held_key(ctx, address, recorded) if number != newest else ""
    container = replace_container(ctx, engine, spec, existing, target.create_steps)
    moved = replace(recorded, current=number, held_against=held)
    made = replace(target, address=address)
    commit(ctx, engine, name, Commit(state_of(ctx, made, container), moved))
    return RolledBack(name, recorded.current, number, target.image_id, bool(held))


def _previous(recorded: History) -> int:
    """The generation before the current one."""
    older = [g.number for g in recorded.generations if g.number < recorded.current]
    if not older:
        raise GenerationNotFound(
            f"{recorded.env} has no generation before {recorded.current}",
            f"see envman history {recorded.env}",
        )
    return max(older)


def _held_key(ctx: Context, address: str, recorded: History) -> str:
    """The profile as up would make it now: up keeps the rollback while this stays the same."""
    newest = max(recorded.generations, key=lambda g: g.number)
    try:
        return profile_key(ctx, resolve_for_up(ctx, address))
    except EnvmanError:  # the profile is gone or broken: hold against the newest generation
        return spec_key(newest.content_hash, newest.spec)


def pin(ctx: Context, name: str, number: int, *, pinned: bool = True) -> Generation:
    """Mark a generation as never collected (or no longer)."""
    with changing(ctx, name):
        recorded = _history(ctx, name)
        changed = replace(_generation(recorded, number), pinned=pinned)
        save_history(ctx.paths, recorded.replaced(changed))
    return changed


def gc(ctx: Context, keep: int = DEFAULT_KEEP, *, dry_run: bool = False) -> list[Collected]:
    """Remove unpinned generations beyond each environment's newest `keep`, and their images.

    Each environment is collected under its lock; one that another envman is changing is skipped.
    `dry_run` removes nothing and returns what would go.
    """
    engine = ctx.engine()
    results = []
    for name in recorded_envs(ctx):
        try:
            with changing(ctx, name):
                recorded = load_history(ctx.paths, name)
                if recorded.generations:
                    results.append(_collect(ctx, engine, recorded, keep, dry_run))
        except Busy as exc:
            ctx.notify(f"skipped {name}: {exc.message}")
    return [r for r in results if r.generations]


def recorded_envs(ctx: Context) -> list[str]:
    """Environments envman has a generation history of."""
    folder = history_file(ctx.paths, "x").parent
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def _kept(recorded: History, keep: int) -> set[int]:
    """The newest `keep` generations, the current one and the pinned ones."""
    newest = sorted(recorded.generations, key=lambda g: -g.number)
    kept = {g.number for g in newest[:keep]} | {recorded.current}
    return kept | {g.number for g in recorded.generations if g.pinned}


def _frees(
    ctx: Context,
    engine: Engine,
    image: ImageInfo,
    env: str,
    everyone: list[ContainerInfo],
    *,
    dry_run: bool,
) -> bool:
    """Remove a dropped generation's image (or, on a dry run, tell whether it would go);
    a note says why one stays."""
    if dry_run:
        holders = users(everyone, image.id, set())
        if holders:
            ctx.notify(f"would keep image {image.id[:12]} of {env}: used by " + ", ".join(holders))
        return not holders
    released = release(engine, image, env, everyone, set())
    if not released.removed:
        ctx.notify(f"kept image {image.id[:12]} of {env}: {released.reason}")
    return bool(released.removed)


def _drop_images(
    ctx: Context,
    engine: Engine,
    env: str,
    dropped: list[Generation],
    still_used: set[str],
    *,
    dry_run: bool,
) -> tuple[list[str], int]:
    """Remove (untag, while a kept generation uses it) each dropped generation's image; the
    short ids removed and the bytes freed."""
    everyone = engine.containers({})
    images: list[str] = []
    freed = 0
    for generation in dropped:
        image = engine.image(generation.image_id)
        if image is None:
            continue
        if generation.image_id in still_used:
            if generation.image in image.tags and not dry_run:
                engine.remove_image(generation.image)  # an untag: a kept generation has the image
        elif _frees(ctx, engine, image, env, everyone, dry_run=dry_run):
            images.append(generation.image_id[:12])
            freed += image.size
    return images, freed


def _collect(
    ctx: Context, engine: Engine, recorded: History, keep: int, dry_run: bool
) -> Collected:
    kept = _kept(recorded, keep)
    dropped = [g for g in recorded.generations if g.number not in kept]
    still_used = {g.image_id for g in recorded.generations if g.number in kept}
    images, freed = _drop_images(ctx, engine, recorded.env, dropped, still_used, dry_run=dry_run)
    remaining = tuple(g for g in recorded.generations if g.number in kept)
    if not dry_run:
        save_history(ctx.paths, replace(recorded, generations=remaining))
    return Collected(recorded.env, tuple(g.number for g in dropped), tuple(images), freed)
