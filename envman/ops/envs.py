"""Environment operations: up (build, create or recreate, start), status, list, stop, rm."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace

from envman import runner
from envman.engine.types import (
    BuildRequest,
    ContainerInfo,
    ContainerSpec,
    ContextFile,
    Engine,
    ImageInfo,
)
from envman.errors import EnvmanError, EnvNotFound, HookFailed, NameClash, ProfileSchemaError
from envman.ops.build import Resolved, check_build_hooks, resolve_profile
from envman.ops.context import Context
from envman.ops.exports import reconcile as reconcile_exports
from envman.ops.exports import remove_all as remove_exports
from envman.profile.model import Hook, Integration
from envman.render.container import SPEC_LABEL, container_spec
from envman.render.containerfile import data_file, hook_argv
from envman.state import EnvState, forget, load_state, save_state

MANAGED = {"envman.managed": "1"}
IMAGE_ID_LABEL = "envman.image-id"
TEMP_SUFFIX = ".envman-new"
OLD_SUFFIX = ".envman-old"
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


def _existing(engine: Engine, name: str) -> ContainerInfo | None:
    found = engine.container(name)
    if found is not None and not _managed(found):
        raise NameClash(
            f"a container named '{name}' exists and envman did not create it",
            f"rename or remove it (podman rename {name} NEW), or give the profile another name",
        )
    return found


def up(ctx: Context, arg: str, *, no_cache: bool = False, pull: bool = False) -> UpResult:
    """Build when the content changed, (re)create when the spec changed, start when stopped."""
    resolved = resolve_profile(ctx.paths, ctx.config, arg)
    if resolved.profile.distrobox.clone:
        raise ProfileSchemaError(
            f"{resolved.profile.origin}: clone: envman builds environments from profiles and "
            "does not copy containers",
            f"include the profile of '{resolved.profile.distrobox.clone}' instead",
        )
    engine = ctx.engine()
    existing = _existing(engine, resolved.name)
    image = None if no_cache else engine.image(resolved.tag)
    built = image is None
    if image is None:
        wants_pull = pull or bool(resolved.profile.distrobox.pull)
        image = _build(ctx, engine, resolved, no_cache=no_cache, pull=wants_pull)
    spec = _spec(ctx, resolved, image.id)
    spec_hash = dict(spec.labels)[SPEC_LABEL]
    container: ContainerInfo
    if existing is not None and existing.labels.get(SPEC_LABEL) == spec_hash:
        action = "up-to-date" if existing.running else "started"
        if not existing.running:
            engine.start(existing.name)
        container = existing
    else:
        container = _replace(ctx, engine, spec, existing, resolved)
        action = "created" if existing is None else ("rebuilt" if built else "recreated")
    _record(ctx, resolved, spec, image, container)
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
    ctx: Context, engine: Engine, resolved: Resolved, *, no_cache: bool, pull: bool
) -> ImageInfo:
    check_build_hooks(resolved.profile.hooks)
    _run_host_hooks(ctx, resolved)
    ctx.notify(f"building {resolved.tag} from {resolved.ref} (base {resolved.base_image})")
    request = BuildRequest(
        containerfile=resolved.plan.containerfile,
        files={p: ContextFile(d, m) for p, (d, m) in resolved.plan.files.items()},
        tag=resolved.tag,
        labels=resolved.labels,
        pull=pull,
        no_cache=no_cache,
    )
    return engine.build(request, ctx.log)


def _run_host_hooks(ctx: Context, resolved: Resolved) -> None:
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
    labels = {**resolved.labels, IMAGE_ID_LABEL: image_id}
    return container_spec(
        resolved.profile, ctx.facts, name=resolved.name, image=resolved.tag, labels=labels
    )


def _replace(
    ctx: Context,
    engine: Engine,
    spec: ContainerSpec,
    existing: ContainerInfo | None,
    resolved: Resolved,
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
        _setup(ctx, engine, temp.name, resolved, dict(spec.env)["HOME"])
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


def _setup(ctx: Context, engine: Engine, container: str, resolved: Resolved, home: str) -> None:
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
                f"setting up user {facts.user} in {resolved.name} failed: {output.strip()[-500:]}"
            )
    for hook in resolved.profile.hooks:
        if hook.when == "create":
            _run_create_hook(ctx, engine, container, hook, home)


def _run_create_hook(ctx: Context, engine: Engine, container: str, hook: Hook, home: str) -> None:
    user = ctx.facts.user if hook.user == "user" and ctx.facts.uid != 0 else "root"
    env = {"HOME": home if user != "root" else "/root", "USER": user}
    ctx.notify(f"create hook ({hook.origin}) as {user}")
    code, output = engine.exec(container, hook_argv(hook), user=user, env=env)
    for line in output.splitlines():
        ctx.log(line)
    if code != 0:
        raise HookFailed(
            f"{hook.origin}: create hook exited with status {code}",
            "the new container was removed; the previous one (if any) is untouched",
        )


def _record(
    ctx: Context,
    resolved: Resolved,
    spec: ContainerSpec,
    image: ImageInfo,
    container: ContainerInfo,
) -> None:
    facts = ctx.facts
    env = dict(spec.env)
    visible = sorted(
        {m.target for m in spec.mounts if m.source == m.target and m.source.startswith("/")}
    )
    state = EnvState(
        name=resolved.name,
        profile_source=str(resolved.ref),
        profile_version=resolved.profile.version or "",
        content_hash=resolved.plan.content_hash,
        image=resolved.tag,
        image_id=image.id,
        container_id=container.id,
        spec_hash=dict(spec.labels)[SPEC_LABEL],
        updated=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        user=facts.user if facts.uid != 0 else "root",
        home=env["HOME"],
        visible_paths=tuple(visible),
        forward_env=forwarded_env(resolved.profile.integration),
        pid_file=container.pid_file,
        podman=runner.which("podman") or "podman",
    )
    save_state(ctx.paths, state)


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
class EnvRow:
    """One line of `envman ls`."""

    name: str
    state: str
    version: str
    content_hash: str
    image: str
    created: str


def list_envs(ctx: Context) -> list[EnvRow]:
    """Every container envman manages (a label query), by name."""
    rows = [
        EnvRow(
            c.name,
            c.state,
            c.labels.get("envman.version", ""),
            c.labels.get("envman.hash", "")[:12],
            c.image,
            c.created,
        )
        for c in ctx.engine().containers(MANAGED)
        if not c.name.endswith((TEMP_SUFFIX, OLD_SUFFIX))
    ]
    return sorted(rows, key=lambda r: r.name)


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
    resolved = resolve_profile(ctx.paths, ctx.config, name)
    container = _existing(ctx.engine(), resolved.name)
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
            ("not created: run envman up",),
        )
    reasons = []
    running_hash = container.labels.get("envman.hash", "")
    if running_hash != resolved.plan.content_hash:
        reasons.append("the profile's build content changed: up will rebuild the image")
    image = ctx.engine().image(resolved.tag)
    spec_hash = dict(_spec(ctx, resolved, image.id if image else "").labels)[SPEC_LABEL]
    if not reasons and container.labels.get(SPEC_LABEL) != spec_hash:
        reasons.append("runtime settings changed: up will recreate the container")
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


def stop(ctx: Context, name: str) -> ContainerInfo:
    """Stop an environment's container."""
    engine = ctx.engine()
    container = _existing(engine, name)
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
    clash = _existing(engine, name)
    if clash is None and not containers and load_state(ctx.paths, name) is None:
        raise EnvNotFound(f"no environment named '{name}'", "see `envman ls`")
    exports = remove_exports(ctx, name)
    for container in containers:
        engine.remove(container.name)
    images = [i for i in engine.images({**MANAGED, "envman.profile": name})]
    for image in images:
        engine.remove_image(image.id)
    files = forget(ctx.paths, name)
    return Removed(
        name,
        tuple(c.name for c in containers),
        tuple(i.id[:12] for i in images),
        tuple(str(f) for f in files) + exports.removed,
        exports.kept,
    )
