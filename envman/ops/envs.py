"""Environment operations: up (build, create or recreate, start), status, list, stop, rm."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, replace

from envman import runner
from envman.engine.types import (
    BuildRequest,
    ContainerInfo,
    ContainerSpec,
    ContextFile,
    Engine,
    ImageInfo,
)
from envman.errors import (
    EnvNotFound,
    HookFailed,
    LockMismatch,
    NameClash,
    ProfileNotFound,
    StateCorrupt,
)
from envman.history import (
    CreateStep,
    Generation,
    History,
    forget_history,
    generation_tag,
    history_file,
    load_history,
)
from envman.host.writer_locks import env_lock, hold
from envman.journal import Commit, clear_journal, journal_file
from envman.ops.address import (
    address_for_up,
    address_of,
    check_not_moved,
    env_address,
    profile_gone,
)
from envman.ops.build_inputs import Resolved, refuse_unverified_host_hooks, resolve_profile
from envman.ops.buildlog import build_reported
from envman.ops.cache import build_plan, cache_reuse, layers_of, plan_layers
from envman.ops.context import Context
from envman.ops.exports import reconcile as reconcile_exports
from envman.ops.exports import remove_all as remove_exports
from envman.ops.images import Released, owned_images, release, users
from envman.ops.listing import OLD_SUFFIX, OWNER_LABEL, TEMP_SUFFIX, owns, repair_pending
from envman.ops.lockfile import locked_published, resolve_for_up
from envman.ops.plan import (
    Existing,
    Facts,
    Plan,
    Published,
    Rollback,
    Wanted,
    after_build,
    decide,
    rollback_key,
)
from envman.ops.swap import commit, repair, replace_container
from envman.ops.up_stamp import forget as forget_stamp
from envman.profile.keys import run_settings
from envman.profile.model import Integration
from envman.render.container import SPEC_LABEL, container_spec
from envman.render.container import spec_hash as hash_of_spec
from envman.render.containerfile import BuildPlan, hook_argv
from envman.render.layers import Layer, changed_layers
from envman.session_env import FORWARDED_ENV
from envman.sources.updates import ref_now
from envman.state import EnvState, forget, load_state, run_file, state_file

IMAGE_ID_LABEL = "envman.image-id"
SESSION_ENV = {
    "display": ("DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "XAUTHLOCALHOSTNAME"),
    "audio": ("PULSE_SERVER",),
    "dbus": ("DBUS_SESSION_BUS_ADDRESS", "DBUS_SYSTEM_BUS_ADDRESS"),
    "ssh_agent": ("SSH_AUTH_SOCK", "SSH_AGENT_PID"),
    "gpg_agent": ("GPG_AGENT_INFO",),
    "kerberos": ("KRB5CCNAME",),
}


@dataclass(frozen=True)
class UpResult:
    """What `up` did: up-to-date, started, created, recreated or rebuilt."""

    name: str
    action: str
    built: bool
    image: str
    image_id: str
    content_hash: str
    spec_hash: str
    warnings: tuple[str, ...] = ()
    exported: tuple[str, ...] = ()
    unexported: tuple[str, ...] = ()
    plan: Plan | None = None
    pulled_from: str = ""  # REGISTRY/REPO@sha256:... when the image came from a team registry


def existing_container(ctx: Context, engine: Engine, name: str) -> ContainerInfo | None:
    """The environment's container; NameClash when a container of that name is not envman's."""
    found = engine.container(name)
    if found is None:
        return None
    state = load_state(ctx.paths, name)
    if not owns(found, name, state.container_id if state else ""):
        raise NameClash(
            f"a container named '{name}' exists and envman did not create it",
            f"rename or remove it (podman rename {name} NEW), or give the profile another name",
        )
    return found


@contextlib.contextmanager
def changing(ctx: Context, name: str) -> Iterator[None]:
    """Hold an environment for an operation that changes it; finish a half-done swap first."""
    with hold(env_lock(ctx.paths, name), name, wait=ctx.wait):
        forget_stamp(str(ctx.paths.state), name)
        repaired = repair(ctx, ctx.engine(), name)
        if repaired:
            ctx.notify(repaired)
        yield


def up(
    ctx: Context,
    arg: str,
    *,
    no_cache: bool = False,
    pull: bool = False,
    replace_profile: bool = False,
    no_build: bool = False,
    done: Callable[[UpResult], None] | None = None,
) -> UpResult:
    """Build (or pull the team's image) when the content changed, (re)create when the spec
    changed, start when stopped.

    `replace_profile`: remake the environment from another profile than it was made from;
    `no_build`: refuse (exit 35) rather than build an image the team registry does not have;
    `done`: told of the result while the environment is still held.
    """
    # resolving refuses what cannot be built (check_usable)
    resolved = resolve_for_up(ctx, address_for_up(ctx.paths, arg))
    with changing(ctx, resolved.name):
        engine = ctx.engine()
        existing = existing_container(ctx, engine, resolved.name)
        if not replace_profile:
            check_not_moved(ctx.paths, resolved, arg, existing)
        result = _up_locked(
            ctx, engine, resolved, existing, no_cache=no_cache, pull=pull, no_build=no_build
        )
        if done is not None:
            done(result)
        return result


def _up_locked(
    ctx: Context,
    engine: Engine,
    resolved: Resolved,
    existing: ContainerInfo | None,
    *,
    no_cache: bool,
    pull: bool,
    no_build: bool = False,
) -> UpResult:
    history = load_history(ctx.paths, resolved.name)
    gathered = gather(
        ctx, engine, resolved, existing, history, no_cache=no_cache, no_build=no_build
    )
    chosen = decide(gathered.facts)
    if chosen.action == "kept":
        assert existing is not None
        return _kept(engine, resolved, existing, history, chosen)
    image, plan = gathered.image, gathered.build_plan
    built = chosen.has("build")
    pulled_from = ""
    if built:
        wants_pull = pull or bool(resolved.profile.distrobox.pull)
        image = _build(ctx, engine, resolved, plan, no_cache=no_cache, pull=wants_pull)
        chosen = after_build(chosen, _facts_with_image(ctx, resolved, gathered.facts, image.id))
    elif chosen.has("pull"):
        from envman.ops.team_images import pull_verified

        pulled = pull_verified(ctx, engine, resolved, gathered.facts.published)
        image, pulled_from = pulled.image, pulled.source
        chosen = after_build(chosen, _facts_with_image(ctx, resolved, gathered.facts, image.id))
    assert image is not None  # decide builds or pulls when there is no image
    if not built and not pulled_from:
        pulled_from = _pulled_before(history, image.id)
    layers = layers_of(history, image.id) if not built else None
    spec = _spec(ctx, resolved, image.id)
    spec_hash = dict(spec.labels)[SPEC_LABEL]
    container = _container_for(ctx, engine, resolved, spec, existing, chosen=chosen)
    layers = layers or plan_layers(engine, plan)
    made = _generation_of(ctx, resolved, spec, image, address_of(resolved), layers=layers)
    made = replace(made, pulled_from=pulled_from)
    history, tag = _with_made(history, made, chosen)
    done = Commit(state_of(ctx, made, container), history, image.id, tag)
    commit(ctx, engine, resolved.name, done)
    exports = reconcile_exports(ctx, resolved.name, resolved.profile.exports, image.id)
    return UpResult(
        resolved.name,
        chosen.action,
        built,
        resolved.tag,
        image.id,
        resolved.plan.content_hash,
        spec_hash,
        resolved.profile.warnings + exports.warnings,
        exports.exported,
        exports.unexported,
        chosen,
        pulled_from,
    )


def _container_for(
    ctx: Context,
    engine: Engine,
    resolved: Resolved,
    spec: ContainerSpec,
    existing: ContainerInfo | None,
    *,
    chosen: Plan,
) -> ContainerInfo:
    """The container the plan leaves: the existing one (started if need be) or a new one."""
    if existing is not None and not chosen.has("recreate"):
        if chosen.has("start"):
            engine.start(existing.id)
        return existing
    return replace_container(ctx, engine, spec, existing, create_steps(ctx, resolved))


def _with_made(history: History, made: Generation, chosen: Plan) -> tuple[History, str]:
    """The history with what up made as a new generation when it made a container (or there is
    none yet), and the gen-N tag that holds its image ("" when none)."""
    if chosen.has("create") or chosen.has("recreate") or not history.current:
        return with_generation(history, made)
    return history, ""


def _pulled_before(history: History, image_id: str) -> str:
    """Where an image already here came from, as an earlier generation recorded it."""
    return next((g.pulled_from for g in history.generations if g.image_id == image_id), "")


@dataclass(frozen=True)
class Gathered:
    """The facts `decide` needs, the image they name, and the build plan up would build."""

    facts: Facts
    image: ImageInfo | None
    build_plan: BuildPlan


def gather(
    ctx: Context,
    engine: Engine,
    resolved: Resolved,
    existing: ContainerInfo | None,
    history: History,
    *,
    no_cache: bool = False,
    no_build: bool = False,
    strict: bool = True,
) -> Gathered:
    """What is known before `up` changes anything: the container, the image, the history, layers,
    and (only when the image is missing) what the team registry has for the content hash."""
    image = engine.image(resolved.tag)
    published = Published()
    if image is None and not no_cache:
        # the registry client and signature checks load only when the image is missing
        from envman.ops.team_images import lookup, pinned_by_lock

        found = lookup(ctx, resolved, strict=strict)
        published = pinned_by_lock(found, locked_published(resolved))
    plan = resolved.plan
    reused, rebuilt = 0, list[str]()
    if image is None or no_cache:
        plan = build_plan(engine, history, resolved.plan, no_cache=no_cache)
        if not no_cache:
            reused, rebuilt = cache_reuse(engine, history, plan_layers(engine, plan))
        else:
            reused, rebuilt = changed_layers((), plan_layers(engine, plan))
    current = history.get(history.current)
    spec = _spec(ctx, resolved, image.id if image else "(new image)")
    newest = max((g.number for g in history.generations), default=0)
    container = None
    if existing is not None:
        labels = existing.labels
        image_id = labels.get(IMAGE_ID_LABEL, existing.image_id)
        container = Existing(existing.running, labels.get(SPEC_LABEL, ""), image_id)
    facts = Facts(
        Wanted(
            resolved.name,
            resolved.tag,
            resolved.plan.content_hash,
            profile_key(ctx, resolved),
            dict(spec.labels)[SPEC_LABEL] if image else "",
            no_cache,
            no_build,
        ),
        container,
        image.id if image else "",
        Rollback(history.current, newest, history.held_against),
        reused,
        tuple(rebuilt),
        _spec_changes(current.spec if current else None, spec),
        published,
    )
    return Gathered(facts, image, plan)


def _facts_with_image(ctx: Context, resolved: Resolved, facts: Facts, image_id: str) -> Facts:
    """The facts once the image is built: its id, and the spec hash with it."""
    spec_hash = dict(_spec(ctx, resolved, image_id).labels)[SPEC_LABEL]
    return replace(facts, wanted=replace(facts.wanted, spec_hash=spec_hash), image_id=image_id)


def _build(
    ctx: Context, engine: Engine, resolved: Resolved, plan: BuildPlan, *, no_cache: bool, pull: bool
) -> ImageInfo:
    run_host_hooks(ctx, resolved)
    return build_image(ctx, engine, resolved, plan, no_cache=no_cache, pull=pull)


def build_image(
    ctx: Context, engine: Engine, resolved: Resolved, plan: BuildPlan, *, no_cache: bool, pull: bool
) -> ImageInfo:
    """Build the image of a resolved profile under its tag (`up` and `publish` both build so)."""
    ctx.notify(f"building {resolved.tag} from {resolved.ref} (base {resolved.base_image})")
    request = BuildRequest(
        containerfile=plan.containerfile,
        files={p: ContextFile(d, m) for p, (d, m) in plan.files.items()},
        tag=resolved.tag,
        pull=pull,
        no_cache=no_cache,
    )
    return build_reported(ctx, engine, request, resolved.name)


def run_host_hooks(ctx: Context, resolved: Resolved) -> None:
    refuse_unverified_host_hooks(resolved)  # all checked before any runs
    for hook in resolved.profile.hooks:
        if hook.when != "host":
            continue
        argv = hook_argv(hook)
        if hook.script is not None:
            argv = [str(resolved.scripts[hook.script]), *hook.args]
            if hook.env:
                argv = ["env", *(f"{k}={v}" for k, v in hook.env), *argv]
        ctx.notify(f"host hook ({hook.origin}): {' '.join(argv)}")
        result = runner.run(argv, cwd=str(resolved.ref.path.parent), capture=False)
        if not result.ok:
            raise HookFailed(
                f"{hook.origin}: host hook exited with status {result.returncode}",
                "nothing was built; fix the hook and run up again",
            )


def _spec(ctx: Context, resolved: Resolved, image_id: str) -> ContainerSpec:
    # The image id is part of the container's identity: a rebuild under the same tag recreates.
    labels = {**resolved.labels, IMAGE_ID_LABEL: image_id, OWNER_LABEL: resolved.name}
    return container_spec(
        resolved.profile, ctx.facts, name=resolved.name, image=resolved.tag, labels=labels
    )


def create_steps(ctx: Context, resolved: Resolved) -> tuple[CreateStep, ...]:
    """The profile's `create` hooks as they will run (kept with each generation)."""
    return tuple(
        CreateStep(
            tuple(hook_argv(hook)),
            ctx.facts.user if hook.user == "user" and ctx.facts.uid != 0 else "root",
            str(hook.origin),
        )
        for hook in resolved.profile.hooks
        if hook.when == "create"
    )


def state_of(ctx: Context, made: Generation, container: ContainerInfo) -> EnvState:
    """The record of what now runs (the run-file of `envman run` is written from it)."""
    facts = ctx.facts
    spec = made.spec
    visible = sorted(
        {m.target for m in spec.mounts if m.source == m.target and m.source.startswith("/")}
    )
    return EnvState(
        name=spec.name,
        profile_source=made.source,
        profile_version=made.profile_version,
        content_hash=made.content_hash,
        image=made.image,
        image_id=made.image_id,
        container_id=container.id,
        spec_hash=dict(spec.labels)[SPEC_LABEL],
        updated=now(),
        user=facts.user if facts.uid != 0 else "root",
        home=dict(spec.env)["HOME"],
        visible_paths=tuple(visible),
        forward_env=made.forward_env,
        pid_file=container.pid_file,
        podman=runner.which("podman") or "podman",
        address=made.address,
        run_settings=made.run_settings,
    )


def now() -> str:
    """A UTC timestamp for records."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def profile_key(ctx: Context, resolved: Resolved) -> str:
    """What `up` would make of the profile now, without building: the key a rollback holds to."""
    return rollback_key(resolved.plan.content_hash, _key_hash(_spec(ctx, resolved, "")))


def spec_key(content_hash: str, spec: ContainerSpec) -> str:
    """The same key from a recorded spec (its image id left out, as `profile_key` leaves it)."""
    return rollback_key(content_hash, _key_hash(spec))


def _key_hash(spec: ContainerSpec) -> str:
    labels = {k: v for k, v in spec.labels if k != SPEC_LABEL}
    return hash_of_spec(replace(spec, labels=tuple(sorted({**labels, IMAGE_ID_LABEL: ""}.items()))))


def _kept(
    engine: Engine, resolved: Resolved, existing: ContainerInfo, history: History, plan: Plan
) -> UpResult:
    """A rollback holds until the profile changes: up keeps the rolled-back generation."""
    if plan.has("start"):
        engine.start(existing.name)
    generation = history.get(plan.generation)
    assert generation is not None
    return UpResult(
        resolved.name,
        plan.action,
        False,
        generation.image,
        generation.image_id,
        generation.content_hash,
        dict(existing.labels).get(SPEC_LABEL, ""),
        resolved.profile.warnings,
        plan=plan,
    )


def _generation_of(
    ctx: Context,
    resolved: Resolved,
    spec: ContainerSpec,
    image: ImageInfo,
    address: str,
    *,
    layers: tuple[Layer, ...],
) -> Generation:
    """What `up` made, as a generation (numbered when it is kept)."""
    return Generation(
        number=0,
        image_id=image.id,
        image=resolved.tag,
        profile_version=resolved.profile.version or "",
        content_hash=resolved.plan.content_hash,
        created=now(),
        source=resolved.provenance,
        revision=resolved.revision.commit if resolved.revision else "",
        spec=spec,
        create_steps=create_steps(ctx, resolved),
        forward_env=forwarded_env(resolved.profile.integration),
        layers=layers,
        address=address,
        run_settings=run_settings(resolved.profile),
    )


def with_generation(history: History, made: Generation) -> tuple[History, str]:
    """The history with what up just made as its newest generation, and the gen-N tag to hold it."""
    number = history.next_number
    tag = generation_tag(history.env, number)
    kept = replace(made, number=number, image=tag)
    gens = (*history.generations, kept)
    return replace(history, generations=gens, current=number, held_against=""), tag


def forwarded_env(integration: Integration) -> tuple[str, ...]:
    """The host variables `envman run` passes in, minus those of switched-off integrations."""
    dropped = {
        key
        for switch, keys in SESSION_ENV.items()
        if not getattr(integration, switch)
        for key in keys
    }
    return tuple(key for key in FORWARDED_ENV if key not in dropped)


@dataclass(frozen=True)
class Status:
    """The running environment compared with its profile now, and what `up` would do about it."""

    name: str
    exists: bool
    state: str
    running_hash: str
    profile_hash: str
    running_version: str
    profile_version: str
    image: str
    stale: bool
    reasons: tuple[str, ...]  # the plan's steps as "kind: reason", then the notes
    plan: Plan
    notes: tuple[str, ...]
    pulled_from: str = ""  # the running image came verified from this REGISTRY/REPO@DIGEST


def status(ctx: Context, name: str) -> Status:
    """Whether the environment runs what its profile says today, and if not, why.

    The profile is the one the environment was made from, wherever this runs. The reasons are
    the steps of the plan `up` would execute (as `up --dry-run` shows it), then news `up` does
    not act on (a lock to update, a source's newer commit or tags).
    """
    for repaired in repair_pending(ctx):
        ctx.notify(repaired)
    arg = env_address(ctx.paths, name, existing_container(ctx, ctx.engine(), name))
    resolved, notes = _resolve_for_status(ctx, name, arg)
    engine = ctx.engine()
    container = existing_container(ctx, engine, resolved.name)
    history = load_history(ctx.paths, resolved.name)
    plan = decide(gather(ctx, engine, resolved, container, history, strict=False).facts)
    if container is not None:
        notes.extend(_source_news(ctx, resolved, container))
    reasons = (*(f"{step.kind}: {step.reason}" for step in plan.steps), *notes)
    labels = container.labels if container else {}
    return Status(
        resolved.name,
        container is not None,
        container.state if container else "absent",
        labels.get("envman.hash", ""),
        resolved.plan.content_hash,
        labels.get("envman.version", ""),
        resolved.profile.version or "",
        container.image if container else "",
        _stale(plan, notes),
        reasons,
        plan,
        tuple(notes),
        _running_pulled_from(history, container),
    )


def _stale(plan: Plan, notes: list[str]) -> bool:
    """Whether up would change something, or there is news up does not act on."""
    return plan.action not in ("up-to-date", "started") or bool(notes)


def _resolve_for_status(ctx: Context, name: str, arg: str) -> tuple[Resolved, list[str]]:
    """The profile as up resolves it, or (lock refused) as it is today with a note saying so."""
    try:
        return resolve_for_up(ctx, arg), []
    except LockMismatch as exc:
        note = f"{exc.message}: up refuses to build until the lock is updated"
        return resolve_profile(ctx.paths, ctx.config, arg), [note]
    except ProfileNotFound as exc:
        if arg == name:
            raise
        raise profile_gone(name, arg, exc) from None


def _running_pulled_from(history: History, container: ContainerInfo | None) -> str:
    """Where the running image came from, when a team registry: as its generation records."""
    current = history.get(history.current)
    if container is None or current is None:
        return ""
    return current.pulled_from


def _source_news(ctx: Context, resolved: Resolved, container: ContainerInfo) -> list[str]:
    """A team source's newer commit (branch) or newer tags than the running profile's."""
    revision = resolved.revision
    if revision is None:
        return []
    news = []
    running = container.labels.get("envman.source.commit", "")
    if running and running != revision.commit:
        news.append(
            f"source {revision.source}: {revision.address(resolved.ref.name)} is at "
            f"{revision.commit[:12]}, the environment runs {running[:12]}"
        )
    if revision.kind == "tag":
        newer = ref_now(ctx.paths, revision.source, revision.ref).newer_tags
        if newer:
            news.append(
                f"source {revision.source} has newer tags than {revision.ref}: "
                + ", ".join(newer[:5])
            )
    return news


def stop(ctx: Context, name: str) -> ContainerInfo:
    """Stop an environment's container."""
    engine = ctx.engine()
    container = existing_container(ctx, engine, name)
    if container is None:
        raise EnvNotFound(f"no environment named '{name}'", "see `envman ls`")
    if container.running:
        engine.stop(container.id, timeout=10)
    return container


@dataclass(frozen=True)
class Removed:
    """What `rm` removed, and the images it kept because something else uses them."""

    name: str
    containers: tuple[str, ...]
    images: tuple[str, ...]
    files: tuple[str, ...]
    exports_kept: tuple[str, ...] = ()
    images_kept: tuple[str, ...] = ()
    dry_run: bool = False  # nothing was removed: this is what would be


def rm(ctx: Context, name: str, *, force_state: bool = False, dry_run: bool = False) -> Removed:
    """Remove the container, the images envman made for it, and envman's records of it.

    `force_state` goes on past damaged records (they are deleted, not read); `dry_run` removes
    nothing and returns what would be removed.
    """
    if dry_run:
        with hold(env_lock(ctx.paths, name), name, wait=ctx.wait):
            return _rm_plan(ctx, ctx.engine(), name, force_state)
    if force_state:  # damaged records may include the journal: do not read them
        with hold(env_lock(ctx.paths, name), name, wait=ctx.wait):
            return _rm_locked(ctx, ctx.engine(), name, force_state)
    with changing(ctx, name):
        return _rm_locked(ctx, ctx.engine(), name, force_state)


def _owned_containers(
    engine: Engine, name: str, state: EnvState | None, history: History, ctx: Context
) -> list[ContainerInfo]:
    recorded_id = state.container_id if state else ""
    containers = [
        found
        for candidate in (name, name + TEMP_SUFFIX, name + OLD_SUFFIX)
        if (found := engine.container(candidate)) is not None and owns(found, name, recorded_id)
    ]
    if not containers and state is None and not history.generations and not _has_files(ctx, name):
        if engine.container(name) is not None:
            existing_container(ctx, engine, name)  # raises NameClash: not envman's
        raise EnvNotFound(f"no environment named '{name}'", "see `envman ls`")
    return containers


def _rm_plan(ctx: Context, engine: Engine, name: str, force_state: bool) -> Removed:
    """What `rm` would remove, found without removing anything."""
    state, history = _records(ctx, name, force_state)
    containers = _owned_containers(engine, name, state, history, ctx)
    exports = remove_exports(ctx, name, dry_run=True)
    recorded = [g.image_id for g in history.generations] + [state.image_id if state else ""]
    everyone = engine.containers({})
    removed_ids = {c.id for c in containers}
    images, kept = [], []
    for image in owned_images(engine, name, recorded):
        holders = users(everyone, image.id, removed_ids)
        if holders:
            kept.append(f"{image.id[:12]}: used by container(s) {', '.join(holders)}")
        else:
            images.append(image.id[:12])
    records = (
        state_file(ctx.paths, name),
        run_file(ctx.paths, name),
        history_file(ctx.paths, name),
        journal_file(ctx.paths, name),
    )
    files = tuple(str(p) for p in records if p.exists()) + exports.removed
    return Removed(
        name,
        tuple(c.name for c in containers),
        tuple(images),
        files,
        exports.kept,
        tuple(kept),
        dry_run=True,
    )


def _rm_locked(ctx: Context, engine: Engine, name: str, force_state: bool) -> Removed:
    forget_stamp(str(ctx.paths.state), name)
    state, history = _records(ctx, name, force_state)
    containers = _owned_containers(engine, name, state, history, ctx)
    exports = remove_exports(ctx, name)
    for container in containers:
        engine.remove(container.id)
    released = _release_images(engine, name, state, history, containers)
    files = forget(ctx.paths, name) + forget_history(ctx.paths, name)
    if journal_file(ctx.paths, name).exists():
        clear_journal(ctx.paths, name)
    return Removed(
        name,
        tuple(c.name for c in containers),
        tuple(r.image_id[:12] for r in released if r.removed),
        tuple(str(f) for f in files) + exports.removed,
        exports.kept,
        tuple(f"{r.image_id[:12]}: {r.reason}" for r in released if not r.removed),
    )


def _release_images(
    engine: Engine,
    name: str,
    state: EnvState | None,
    history: History,
    removed: list[ContainerInfo],
) -> list[Released]:
    """Release the images envman built for the environment (kept while another container uses
    one, the removed containers aside)."""
    recorded = [g.image_id for g in history.generations] + [state.image_id if state else ""]
    everyone = engine.containers({})
    removed_ids = {c.id for c in removed}
    return [
        release(engine, image, name, everyone, removed_ids)
        for image in owned_images(engine, name, recorded)
    ]


def _records(ctx: Context, name: str, force_state: bool) -> tuple[EnvState | None, History]:
    """The environment's state and history; damaged ones count as absent with `force_state`."""
    try:
        state = load_state(ctx.paths, name)
    except StateCorrupt:
        if not force_state:
            raise
        state = None
    try:
        history = load_history(ctx.paths, name)
    except StateCorrupt:
        if not force_state:
            raise
        history = History(name)
    return state, history


def _has_files(ctx: Context, name: str) -> bool:
    records = (state_file(ctx.paths, name), history_file(ctx.paths, name))
    return any(p.exists() for p in (*records, journal_file(ctx.paths, name)))


def plan_up(
    ctx: Context,
    arg: str,
    *,
    replace_profile: bool = False,
    no_cache: bool = False,
    no_build: bool = False,
) -> Plan:
    """`up --dry-run`: the plan `up` would execute, found without changing anything."""
    resolved = resolve_for_up(ctx, address_for_up(ctx.paths, arg))
    refuse_unverified_host_hooks(resolved)  # as `up` would, before building
    engine = ctx.engine()
    existing = existing_container(ctx, engine, resolved.name)
    if not replace_profile:
        check_not_moved(ctx.paths, resolved, arg, existing)
    history = load_history(ctx.paths, resolved.name)
    gathered = gather(
        ctx, engine, resolved, existing, history, no_cache=no_cache, no_build=no_build
    )
    return decide(gathered.facts)


def _spec_changes(old: ContainerSpec | None, new: ContainerSpec) -> tuple[str, ...]:
    """Which create settings differ (the image and envman's own labels aside)."""
    if old is None:
        return ()
    ignored = {"image", "labels"}
    return tuple(
        f.name
        for f in fields(ContainerSpec)
        if f.name not in ignored and getattr(old, f.name) != getattr(new, f.name)
    )
