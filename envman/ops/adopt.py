"""`envman adopt`: a profile from an existing distrobox or toolbx container, and taking it over.

The profile says what the container was made with: its image, the packages added since the
image (where the package manager can tell), volumes, switches, hooks and the apps and binaries
distrobox-export put on the host. Without take-over the container is only read. With it, envman
records the container as its environment (so `ls`, `run`, `status`, `stop` and `rm` work on it);
the next `up` recreates it in envman's way from the profile.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, replace
from pathlib import Path

from envman import runner
from envman.engine.types import ContainerDetails, Engine
from envman.errors import (
    Aborted,
    EnvNotFound,
    NameClash,
    NotAdoptable,
    UsageError,
    WriteFailed,
)
from envman.exports.foreign import ForeignExport, find_exports
from envman.host.files import write_atomic
from envman.host.writer_locks import env_lock, hold
from envman.names import RULE, is_name
from envman.ops.adopt_settings import Kind, entry_args, hooks_from, kind_of, settings_of
from envman.ops.context import Context
from envman.ops.exports import data_home, reconcile
from envman.ops.exports import remove_all as remove_exports
from envman.ops.listing import OWNER_LABEL
from envman.profile.model import Exports, FileLine, HookWhen, Integration, Profile
from envman.profile.yaml_format import read_yaml_profile, write_yaml_profile
from envman.render.containerfile import data_file
from envman.session_env import FORWARDED_ENV
from envman.state import EnvState, forget, load_state, save_state

NO_PACKAGE_MANAGER = 3  # pkg-manual.sh's exit status when nothing can tell


@dataclass(frozen=True)
class Packages:
    """The packages added to a container since its image, and how (or why not) they were found."""

    names: tuple[str, ...]
    found_by: str  # the package manager's query, "" when it could not tell
    note: str = ""


@dataclass(frozen=True)
class Adopted:
    """What `envman adopt` found, wrote and did."""

    container: str
    kind: str  # distrobox or toolbx
    name: str
    profile: str  # the file written
    packages_found_by: str
    notes: tuple[str, ...]
    taken_over: bool = False
    moved_aside: tuple[str, ...] = ()  # distrobox's launchers and wrappers envman replaced
    exported: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def adopt(
    ctx: Context,
    container: str,
    *,
    name: str | None = None,
    output: Path | None = None,
    force: bool = False,
    take_over: bool = False,
    hooks_as: HookWhen = "build",
) -> Adopted:
    """Write a profile for `container`; with `take_over`, record it as envman's environment."""
    engine = ctx.engine()
    details = engine.details(container)
    if details is None:
        raise EnvNotFound(
            f"no container named '{container}'", "see `podman ps -a` (distrobox list, toolbox list)"
        )
    kind = _adoptable(ctx, details)
    env, target = _names(ctx, details, name, output, take_over=take_over)
    if target.exists() and not force:
        raise Aborted(f"{target} exists", "pass --force to overwrite it")
    if take_over:
        _refuse_recorded(ctx, env)
    foreign = _foreign(ctx, details.info.name) if kind == "distrobox" else []
    packages = packages_added(engine, details)
    profile, notes = profile_of(
        ctx,
        details,
        kind=kind,
        env=env,
        target=target,
        packages=packages,
        foreign=foreign,
        hooks_as=hooks_as,
    )
    text = write_yaml_profile(profile)
    read_yaml_profile(text, str(target), env)  # what envman writes, envman must read back
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, text)
    result = Adopted(details.info.name, kind, env, str(target), packages.found_by, tuple(notes))
    if not take_over:
        return result
    with hold(env_lock(ctx.paths, env), env, wait=ctx.wait):
        _refuse_recorded(ctx, env)
        save_state(ctx.paths, _state(ctx, details, target))
        try:
            return _take_over_exports(ctx, result, profile.exports, foreign)
        except BaseException:  # all or nothing: no record, no exports of envman's
            remove_exports(ctx, env)
            forget(ctx.paths, env)
            raise


def _adoptable(ctx: Context, details: ContainerDetails) -> Kind:
    """distrobox's and toolbx's containers only; envman's own are refused."""
    info = details.info
    state = load_state(ctx.paths, info.name)
    if OWNER_LABEL in info.labels or (state is not None and state.container_id == info.id):
        raise NotAdoptable(
            f"'{info.name}' is envman's environment already", f"see `envman status {info.name}`"
        )
    kind = kind_of(details)
    if kind is None:
        raise NotAdoptable(
            f"'{info.name}' was not made by distrobox or toolbox "
            "(no `manager=distrobox` label, no toolbx label and entrypoint)",
            "write a profile for it (envman profile import FILE, or a YAML profile), "
            "then `envman up` makes envman's own",
        )
    return kind


def _names(
    ctx: Context,
    details: ContainerDetails,
    name: str | None,
    output: Path | None,
    *,
    take_over: bool,
) -> tuple[str, Path]:
    """The profile's (and environment's) name, and the file to write."""
    env = name or details.info.name
    if not is_name(env):
        raise UsageError(f"'{env}' cannot name a profile: {RULE}", "give one with --name NAME")
    if take_over and env != details.info.name:
        raise UsageError(
            f"--take-over keeps the container's name, '{details.info.name}', not '{env}'",
            f"leave out --name, or rename the container first: podman rename {details.info.name} "
            f"{env}",
        )
    return env, _target(ctx, output, env)


def _target(ctx: Context, output: Path | None, env: str) -> Path:
    """-o FILE, or -o DIR (then DIR/NAME.yaml); else ./profiles/NAME.yaml."""
    if output is None:
        return ctx.paths.cwd / "profiles" / f"{env}.yaml"
    output = output if output.is_absolute() else ctx.paths.cwd / output
    return output / f"{env}.yaml" if output.is_dir() else output


def _refuse_recorded(ctx: Context, env: str) -> None:
    if load_state(ctx.paths, env) is not None:
        raise NameClash(
            f"envman has an environment named '{env}' already",
            f"`envman rm {env}` first, or adopt without --take-over",
        )


def _foreign(ctx: Context, box: str) -> list[ForeignExport]:
    """distrobox-export's files for `box` (distrobox writes under ~/.local, whatever XDG says)."""
    home = ctx.paths.home
    apps_dirs = (home / ".local/share/applications", data_home(ctx) / "applications")
    return find_exports(apps_dirs, home / ".local" / "bin", box)


def packages_added(engine: Engine, details: ContainerDetails) -> Packages:
    """The container's requested packages minus its image's, by the same package manager query."""
    if not details.info.running:
        return Packages((), "", "the container is stopped: start it and adopt again to list them")
    argv = ["/bin/sh", "-c", data_file("pkg-manual.sh"), "envman-pkg-manual"]
    code, output = engine.exec(details.info.id, argv, user="root", env={})
    mine = _listing(code, output)
    if mine is None:
        return Packages((), "", "no package manager in the container could tell")
    base = _listing(*engine.run_once(details.info.image_id, argv))
    if base is None or base[0] != mine[0]:
        return Packages((), "", "the image's package manager could not tell what it had")
    added = tuple(sorted(set(mine[1]) - set(base[1])))
    return Packages(added, f"{mine[0]}, compared with the image's")


def _listing(code: int, output: str) -> tuple[str, list[str]] | None:
    if code != 0:
        return None
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return (lines[0], lines[1:]) if lines else None


def profile_of(
    ctx: Context,
    details: ContainerDetails,
    *,
    kind: Kind,
    env: str,
    target: Path,
    packages: Packages,
    foreign: list[ForeignExport],
    hooks_as: HookWhen,
) -> tuple[Profile, list[str]]:
    """The profile a container was made as, and notes on what it leaves out."""
    facts = ctx.facts
    args = entry_args(details.command) if kind == "distrobox" else entry_args(())
    settings = settings_of(details, kind, (facts.hostname, platform.node()), facts.home)
    asked = [p for p in args.additional_packages if p]
    notes = [packages.note] if packages.note else []
    if packages.found_by == "rpm -qa":
        notes.append("rpm -qa lists dependencies too: trim the packages to what you use")
    if kind == "distrobox" and packages.found_by:
        notes.append(
            "distrobox installs its own tools (sudo, curl, less, ...) at the first start: "
            "they are among the packages; envman's image brings what it needs itself"
        )
    apps = tuple(e.key for e in foreign if e.kind == "app")
    bins = tuple(e.key for e in foreign if e.kind == "bin")
    profile = Profile(
        name=env,
        origin=FileLine(str(target), 1),
        description=f"adopted from {kind} container {details.info.name}",
        image=details.info.image or details.info.image_id,
        packages=tuple(dict.fromkeys([*asked, *packages.names])),
        env=settings.env,
        volumes=settings.volumes,
        hooks=hooks_from(args, hooks_as),
        exports=Exports(apps=apps, bins=bins),
        integration=Integration(
            home=True if settings.custom_home else None,
            custom_home=settings.custom_home,
            nvidia=True if args.nvidia else None,
            init=True if args.init or details.systemd else None,
            unshare=settings.unshare,
        ),
        hostname=settings.hostname,
        podman_args=settings.podman_args,
    )
    return profile, notes


def _state(ctx: Context, details: ContainerDetails, target: Path) -> EnvState:
    """envman's record of the adopted container: its id makes it envman's environment.

    No content hash, spec hash or image id: nothing envman built runs there, so `status` and `up`
    see it stale, and `rm` finds no image of envman's to remove (the container's image is yours).
    """
    from envman.ops.envs import now

    facts = ctx.facts
    env = dict(details.env)
    visible = sorted(
        {m.target for m in details.mounts if m.kind == "bind" and m.source == m.target}
    )
    address = str(target.resolve())
    return EnvState(
        name=details.info.name,
        profile_source=address,
        profile_version="",
        content_hash="",
        image=details.info.image,
        image_id="",
        container_id=details.info.id,
        spec_hash="",
        updated=now(),
        user=facts.user if facts.uid != 0 else "root",
        home=env.get("HOME") or facts.home,
        visible_paths=tuple(p for p in visible if p.startswith("/")),
        forward_env=FORWARDED_ENV,
        pid_file=details.info.pid_file,
        podman=runner.which("podman") or "podman",
        address=address,
    )


def _take_over_exports(
    ctx: Context, result: Adopted, exports: Exports, foreign: list[ForeignExport]
) -> Adopted:
    """Replace distrobox's launchers and wrappers by envman's; put back any envman cannot make.

    distrobox's files are moved (not deleted) to $XDG_STATE_HOME/envman/adopted/NAME/.
    """
    aside = ctx.paths.state / "adopted" / result.name
    moved: dict[tuple[str, str], tuple[Path, Path]] = {}
    try:
        for item in foreign:
            source = Path(item.path)
            kept = aside / ("applications" if item.kind == "app" else "bin") / source.name
            _move(source, kept)
            moved[(item.kind, item.key)] = (source, kept)
        done = reconcile(ctx, result.name, exports, "")
    except BaseException:
        for source, kept in moved.values():
            _move(kept, source)
        raise
    restored = []
    for (kind, key), (source, kept) in moved.items():
        if _reported_key(kind, key) not in done.exported:
            _move(kept, source)
            restored.append(str(source))
    warnings = [*done.warnings]
    if restored:
        warnings.append(
            "kept distrobox's own files for what envman could not export: " + ", ".join(restored)
        )
    return replace(
        result,
        taken_over=True,
        moved_aside=tuple(str(s) for s, _ in moved.values() if str(s) not in restored),
        exported=done.exported,
        warnings=tuple(warnings),
    )


def _move(source: Path, target: Path) -> None:
    """Move one of distrobox's files (within the user's own directories)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        source.replace(target)
    except OSError as exc:
        raise WriteFailed(
            f"cannot move {source} to {target}: {exc.strerror}",
            "check the permissions of both directories",
        ) from None


def _reported_key(kind: str, key: str) -> str:
    """reconcile reports an app by its desktop file id (`ID.desktop`), a binary by its path."""
    return f"{key}.desktop" if kind == "app" else key
