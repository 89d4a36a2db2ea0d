"""Environment operations: up (build, create or recreate, start), status, list, stop, rm."""

from __future__ import annotations

import datetime
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
    EnvmanError,
    EnvNotFound,
    HookFailed,
    LockMismatch,
    NameClash,
    ProfileSchemaError,
)
from envman.generations import (
    CreateStep,
    Generation,
    History,
    forget_history,
    generation_tag,
    load_history,
    save_history,
)
from envman.ops.build import Resolved, check_build_hooks, resolve_profile
from envman.ops.cache import build_plan, cache_reuse, layers_of, plan_layers
from envman.ops.context import Context
from envman.ops.exports import reconcile as reconcile_exports
from envman.ops.exports import remove_all as remove_exports
from envman.ops.listing import MANAGED, OLD_SUFFIX, TEMP_SUFFIX
from envman.ops.lock import resolve_for_up
from envman.profile.model import Hook, Integration
from envman.render.container import SPEC_LABEL, container_spec
from envman.render.containerfile import BuildPlan, data_file, hook_argv
from envman.render.layers import Layer
from envman.sources.updates import ref_now
from envman.state import EnvState, forget, load_state, save_state

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


def _managed(info: ContainerInfo) -> bool:
    return info.labels.get("envman.managed") == "1"


def existing_container(engine: Engine, name: str) -> ContainerInfo | None:
    found = engine.container(name)
    if found is not None and not _managed(found):
        raise NameClash(
            f"a container named '{name}' exists and envman did not create it",
            f"rename or remove it (podman rename {name} NEW), or give the profile another name",
        )
    return found


def up(ctx: Context, arg: str, *, no_cache: bool = False, pull: bool = False) -> UpResult:
    """Build when the content changed, (re)create when the spec changed, start when stopped."""
    resolved = resolve_for_up(ctx, arg)
    if resolved.profile.distrobox.clone:
        raise ProfileSchemaError(
            f"{resolved.profile.origin}: clone: envman builds environments from profiles and "
            "does not copy containers",
            f"include the profile of '{resolved.profile.distrobox.clone}' instead",
        )
    engine = ctx.engine()
    existing = existing_container(engine, resolved.name)
    history = load_history(ctx.paths, resolved.name)
    if existing is not None and history.held_against == profile_key(ctx, resolved):
        return _held(engine, resolved, existing, history)
    image = None if no_cache else engine.image(resolved.tag)
    built = image is None
    plan = resolved.plan
    if image is None:
        wants_pull = pull or bool(resolved.profile.distrobox.pull)
        plan = build_plan(engine, history, resolved.plan, no_cache=no_cache)
        image = _build(ctx, engine, resolved, plan, no_cache=no_cache, pull=wants_pull)
    layers = layers_of(history, image.id) if not built else None
    spec = _spec(ctx, resolved, image.id)
    spec_hash = dict(spec.labels)[SPEC_LABEL]
    container: ContainerInfo
    if existing is not None and existing.labels.get(SPEC_LABEL) == spec_hash:
        action = "up-to-date" if existing.running else "started"
        if not existing.running:
            engine.start(existing.name)
        container = existing
    else:
        container = replace_container(ctx, engine, spec, existing, create_steps(ctx, resolved))
        action = "created" if existing is None else ("rebuilt" if built else "recreated")
    layers = layers or plan_layers(engine, plan)
    made = _generation_of(ctx, resolved, spec, image, _address(ctx, resolved, arg), layers=layers)
    record_state(ctx, made, container)
    if action not in ("up-to-date", "started") or not history.current:
        _new_generation(ctx, engine, history, made)
    exports = reconcile_exports(ctx, resolved.name, resolved.profile.exports, image.id)
    return UpResult(
        resolved.name,
        action,
        built,
        resolved.tag,
        image.id,
        resolved.plan.content_hash,
        spec_hash,
        resolved.profile.warnings + exports.warnings,
        exports.exported,
        exports.unexported,
    )


def _build(
    ctx: Context, engine: Engine, resolved: Resolved, plan: BuildPlan, *, no_cache: bool, pull: bool
) -> ImageInfo:
    check_build_hooks(resolved.profile.hooks)
    run_host_hooks(ctx, resolved)
    ctx.notify(f"building {resolved.tag} from {resolved.ref} (base {resolved.base_image})")
    request = BuildRequest(
        containerfile=plan.containerfile,
        files={p: ContextFile(d, m) for p, (d, m) in plan.files.items()},
        tag=resolved.tag,
        pull=pull,
        no_cache=no_cache,
    )
    return engine.build(request, ctx.log)


def run_host_hooks(ctx: Context, resolved: Resolved) -> None:
    for hook in resolved.profile.hooks:
        if hook.when != "host":
            continue
        _refuse_unverified_host_hook(resolved, hook)
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


def _refuse_unverified_host_hook(resolved: Resolved, hook: Hook) -> None:
    """Host hooks run on the user's machine: from a team source only when its refs are signed."""
    revision = resolved.revision
    if revision is not None and not revision.signer:
        raise HookFailed(
            f"{hook.origin}: a host hook of source '{revision.source}' would run on this machine, "
            "and the source's refs are not verified",
            "add the source with --verify (signed tags or commits), or copy the profile to "
            "./profiles after reviewing it; nothing was built",
        )


def _spec(ctx: Context, resolved: Resolved, image_id: str) -> ContainerSpec:
    # The image id is part of the container's identity: a rebuild under the same tag recreates.
    labels = {**resolved.labels, IMAGE_ID_LABEL: image_id}
    return container_spec(
        resolved.profile, ctx.facts, name=resolved.name, image=resolved.tag, labels=labels
    )


def replace_container(
    ctx: Context,
    engine: Engine,
    spec: ContainerSpec,
    existing: ContainerInfo | None,
    steps: tuple[CreateStep, ...],
) -> ContainerInfo:
    """Create and set up the new container beside the old one; swap only once it works."""
    name = spec.name
    for leftover in (name + TEMP_SUFFIX, name + OLD_SUFFIX):
        found = engine.container(leftover)
        if found is not None and _managed(found):
            engine.remove(leftover)
    _prepare_host_dirs(spec)
    temp = replace(spec, name=name + TEMP_SUFFIX)
    engine.create(temp)
    try:
        engine.start(temp.name)
        _setup(ctx, engine, temp.name, steps, dict(spec.env)["HOME"])
    except EnvmanError:
        engine.remove(temp.name)
        raise
    if existing is not None:
        engine.rename(name, name + OLD_SUFFIX)
        engine.rename(temp.name, name)
        engine.remove(name + OLD_SUFFIX)
    else:
        engine.rename(temp.name, name)
    info = engine.container(name)
    assert info is not None
    return info


def _prepare_host_dirs(spec: ContainerSpec) -> None:
    """A custom home is created on the host (and never removed: it holds the user's data)."""
    from pathlib import Path

    home = dict(spec.env).get("HOME")
    if home and not Path(home).exists():
        Path(home).mkdir(parents=True, mode=0o700)


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


def _setup(
    ctx: Context, engine: Engine, container: str, steps: tuple[CreateStep, ...], home: str
) -> None:
    """Once per container: the host user inside, then the `create` hooks."""
    facts = ctx.facts
    if facts.uid != 0:
        argv = [
            "/bin/sh",
            "-c",
            data_file("user-setup.sh"),
            "envman-user-setup",
            facts.user,
            str(facts.uid),
            str(facts.gid),
            home,
            facts.shell,
        ]
        code, output = engine.exec(container, argv, user="root", env={})
        if code != 0:
            raise HookFailed(
                f"setting up user {facts.user} in {container} failed: {output.strip()[-500:]}"
            )
    for step in steps:
        _run_create_step(ctx, engine, container, step, home)


def _run_create_step(
    ctx: Context, engine: Engine, container: str, step: CreateStep, home: str
) -> None:
    env = {"HOME": home if step.user != "root" else "/root", "USER": step.user}
    ctx.notify(f"create hook ({step.origin}) as {step.user}")
    code, output = engine.exec(container, list(step.argv), user=step.user, env=env)
    for line in output.splitlines():
        ctx.log(line)
    if code != 0:
        raise HookFailed(
            f"{step.origin}: create hook exited with status {code}",
            "the new container was removed; the previous one (if any) is untouched",
        )


def record_state(ctx: Context, made: Generation, container: ContainerInfo) -> None:
    """Write what now runs (the run-file of `envman run` included)."""
    facts = ctx.facts
    spec = made.spec
    visible = sorted(
        {m.target for m in spec.mounts if m.source == m.target and m.source.startswith("/")}
    )
    state = EnvState(
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
    )
    save_state(ctx.paths, state)


def now() -> str:
    """A UTC timestamp for records."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def profile_key(ctx: Context, resolved: Resolved) -> str:
    """What `up` would make of the profile now, without building: content and runtime settings."""
    return f"{resolved.plan.content_hash}:{dict(_spec(ctx, resolved, '').labels)[SPEC_LABEL]}"


def _held(
    engine: Engine, resolved: Resolved, existing: ContainerInfo, history: History
) -> UpResult:
    """A rollback holds until the profile changes: up keeps the rolled-back generation."""
    if not existing.running:
        engine.start(existing.name)
    generation = history.get(history.current)
    assert generation is not None
    note = (
        f"rolled back to generation {generation.number}; up keeps it until the profile changes "
        f"(`envman rollback {resolved.name} {history.next_number - 1}` goes forward again)"
    )
    return UpResult(
        resolved.name,
        "held",
        False,
        generation.image,
        generation.image_id,
        generation.content_hash,
        dict(existing.labels).get(SPEC_LABEL, ""),
        (*resolved.profile.warnings, note),
    )


def _address(ctx: Context, resolved: Resolved, arg: str) -> str:
    """What finds this profile again: its source address, its file, or the name given."""
    if resolved.revision is not None:
        return resolved.revision.address(resolved.ref.name)
    if (ctx.paths.cwd / arg).is_file():
        return str((ctx.paths.cwd / arg).resolve())
    return arg


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
    )


def _new_generation(ctx: Context, engine: Engine, history: History, made: Generation) -> None:
    """Keep what up just made as the newest generation, its image held by a gen-N tag."""
    number = history.next_number
    tag = generation_tag(history.env, number)
    engine.tag(made.image_id, tag)
    kept = replace(made, number=number, image=tag)
    gens = (*history.generations, kept)
    save_history(ctx.paths, replace(history, generations=gens, current=number, held_against=""))


def forwarded_env(integration: Integration) -> tuple[str, ...]:
    """The host variables `envman run` passes in, minus those of switched-off integrations."""
    from envman.fastpath import FORWARDED_ENV

    dropped = {
        key
        for switch, keys in SESSION_ENV.items()
        if not getattr(integration, switch)
        for key in keys
    }
    return tuple(key for key in FORWARDED_ENV if key not in dropped)


@dataclass(frozen=True)
class Status:
    """The running environment compared with its profile now."""

    name: str
    exists: bool
    state: str
    running_hash: str
    profile_hash: str
    running_version: str
    profile_version: str
    image: str
    stale: bool
    reasons: tuple[str, ...]


def status(ctx: Context, name: str) -> Status:
    """Whether the environment runs what its profile says today, and if not, why."""
    state = load_state(ctx.paths, name)
    arg = state.address if state is not None and state.address else name
    reasons = []
    try:
        resolved = resolve_for_up(ctx, arg)
    except LockMismatch as exc:
        resolved = resolve_profile(ctx.paths, ctx.config, arg)
        reasons.append(f"{exc.message}: up refuses to build until the lock is updated")
    container = existing_container(ctx.engine(), resolved.name)
    if container is None:
        return Status(
            resolved.name,
            False,
            "absent",
            "",
            resolved.plan.content_hash,
            "",
            resolved.profile.version or "",
            "",
            True,
            ("not created: run envman up", *reasons),
        )
    running_hash = container.labels.get("envman.hash", "")
    if running_hash != resolved.plan.content_hash:
        reasons.append("the profile's build content changed: up will rebuild the image")
    image = ctx.engine().image(resolved.tag)
    spec_hash = dict(_spec(ctx, resolved, image.id if image else "").labels)[SPEC_LABEL]
    if not reasons and container.labels.get(SPEC_LABEL) != spec_hash:
        reasons.append("runtime settings changed: up will recreate the container")
    reasons.extend(_source_news(ctx, resolved, container))
    history = load_history(ctx.paths, resolved.name)
    if history.held_against:
        reasons.append(
            f"rolled back to generation {history.current}: up keeps it until the profile changes"
        )
    return Status(
        resolved.name,
        True,
        container.state,
        running_hash,
        resolved.plan.content_hash,
        container.labels.get("envman.version", ""),
        resolved.profile.version or "",
        container.image,
        bool(reasons),
        tuple(reasons),
    )


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
    container = existing_container(engine, name)
    if container is None:
        raise EnvNotFound(f"no environment named '{name}'", "see `envman ls`")
    if container.running:
        engine.stop(name, timeout=10)
    return container


@dataclass(frozen=True)
class Removed:
    """What `rm` removed."""

    name: str
    containers: tuple[str, ...]
    images: tuple[str, ...]
    files: tuple[str, ...]
    exports_kept: tuple[str, ...] = ()


def rm(ctx: Context, name: str) -> Removed:
    """Remove the container, every image envman built for it, and envman's records of it."""
    engine = ctx.engine()
    containers = [
        c
        for c in engine.containers({**MANAGED, "envman.profile": name})
        if c.name in (name, name + TEMP_SUFFIX, name + OLD_SUFFIX)
    ]
    clash = existing_container(engine, name)
    if clash is None and not containers and load_state(ctx.paths, name) is None:
        raise EnvNotFound(f"no environment named '{name}'", "see `envman ls`")
    exports = remove_exports(ctx, name)
    for container in containers:
        engine.remove(container.name)
    images = [i for i in engine.images({**MANAGED, "envman.profile": name})]
    for image in images:
        engine.remove_image(image.id, force=True)
    files = forget(ctx.paths, name) + forget_history(ctx.paths, name)
    return Removed(
        name,
        tuple(c.name for c in containers),
        tuple(i.id[:12] for i in images),
        tuple(str(f) for f in files) + exports.removed,
        exports.kept,
    )


@dataclass(frozen=True)
class UpPlan:
    """What `up` would do, found without building, creating or starting anything."""

    name: str
    action: str
    build: bool
    recreate: bool
    reasons: tuple[str, ...]
    reused_layers: int = 0
    rebuilt_layers: tuple[str, ...] = ()
    runtime_changes: tuple[str, ...] = ()


def plan_up(ctx: Context, arg: str) -> UpPlan:
    """`up --dry-run`: rebuild? recreate? which layers and which settings?"""
    resolved = resolve_for_up(ctx, arg)
    engine = ctx.engine()
    existing = existing_container(engine, resolved.name)
    history = load_history(ctx.paths, resolved.name)
    name = resolved.name
    if existing is not None and history.held_against == profile_key(ctx, resolved):
        reason = f"rolled back to generation {history.current}; the profile has not changed since"
        return UpPlan(name, "held", False, False, (reason,))
    image = engine.image(resolved.tag)
    current = history.get(history.current)
    reasons: list[str] = []
    reused, rebuilt = 0, list[str]()
    if image is None:
        reasons.append(f"no image {resolved.tag} yet: the profile's build content changed")
        plan = build_plan(engine, history, resolved.plan, no_cache=False)
        reused, rebuilt = cache_reuse(engine, history, plan_layers(engine, plan))
    spec = _spec(ctx, resolved, image.id if image else "(new image)")
    changes = _spec_changes(current.spec if current else None, spec)
    if existing is None:
        reasons.append("no container yet")
        action = "build and create" if image is None else "create"
        return UpPlan(name, action, image is None, True, tuple(reasons), reused, tuple(rebuilt))
    recreate = existing.labels.get(SPEC_LABEL) != dict(spec.labels)[SPEC_LABEL]
    if recreate and image is not None:
        reasons.append("runtime settings changed")
    if image is None:
        action = "rebuild and recreate"
    elif recreate:
        action = "recreate"
    else:
        action = "up-to-date" if existing.running else "start"
        rebuilt = []
    return UpPlan(
        name, action, image is None, recreate, tuple(reasons), reused, tuple(rebuilt), changes
    )


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
