"""Export operations: an environment's apps and binaries on the host, every file in the ledger."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from envman.errors import EnvNotFound, ExportFailed, FileClash
from envman.exports import names
from envman.exports.container_files import ContainerFiles, IconFile
from envman.exports.desktop_entry import DesktopEntryError, DesktopFile, parse, render
from envman.exports.exec_line import ExecError
from envman.exports.launcher import NotLaunchable, exported_entry, wrapper_script
from envman.exports.ledger import (
    ExportRecord,
    FileRecord,
    Kind,
    Ledger,
    RequestedBy,
    checksum,
    file_status,
    ledger_envs,
    load_ledger,
    save_ledger,
)
from envman.exports.shim import launcher_argv
from envman.host import desktop_caches
from envman.host.files import remove_file, write_atomic
from envman.ops.context import Context
from envman.profile.model import Exports
from envman.state import load_state

Planned = tuple[Path, bytes, int]


@dataclass(frozen=True)
class WrittenExport:
    """What one export wrote."""

    env: str
    kind: Kind
    key: str
    files: tuple[str, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unexported:
    """What an unexport removed, and what it kept because the user changed it."""

    env: str
    keys: tuple[str, ...]
    removed: tuple[str, ...]
    kept: tuple[str, ...]


@dataclass(frozen=True)
class ExportRow:
    """One line of `envman exports`."""

    env: str
    kind: Kind
    key: str
    origin: RequestedBy
    files: tuple[str, ...]
    status: str


@dataclass(frozen=True)
class Reconciled:
    """What `up` exported and unexported to match the profile."""

    exported: tuple[str, ...] = ()
    unexported: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exportable:
    """One line of `envman export NAME --list`: an app or binary inside, and whether it is out."""

    kind: Kind
    key: str  # what --app or --bin takes (a desktop file id without .desktop, a path)
    name: str  # the desktop file id, or the command name
    path: str  # the real .desktop path, or the binary's path on the container's PATH
    exported: bool
    on_host: bool  # a binary: the host's PATH has a command of that name (apps: False)


def data_home(ctx: Context) -> Path:
    """$XDG_DATA_HOME: envman's data directory is its envman/ subdirectory."""
    return ctx.paths.data.parent


def _box(ctx: Context, env: str) -> tuple[ContainerFiles, str]:
    """The environment's running container and its image id."""
    state = load_state(ctx.paths, env)
    if state is None:
        raise EnvNotFound(f"no environment named '{env}'", f"create it first: envman up {env}")
    engine = ctx.engine()
    container = engine.container(env)
    ours = container is not None and (
        container.labels.get("envman.managed") == "1" or container.id == state.container_id
    )  # an adopted container carries no label of envman's: its record makes it envman's
    if container is None or not ours:
        raise EnvNotFound(f"the container of '{env}' is gone", f"run `envman up {env}` again")
    if not container.running:
        engine.start(env)
    return ContainerFiles(engine, env), state.image_id


def export_app(
    ctx: Context, env: str, app: str, *, origin: RequestedBy = "cli", label: bool = True
) -> WrittenExport:
    """Write the launcher (and icons) for one desktop app of the environment."""
    box, image_id = _box(ctx, env)
    key, app_id, source = _find_app(box, env, app)
    desktop = _parse(box.read_text(source), env, source)
    icons, planned, warnings = _icons(ctx, box, env, desktop)
    try:
        entry = exported_entry(
            desktop,
            env=env,
            app_id=app_id,
            launcher=launcher_argv(ctx.paths),
            icons=icons,
            label=label,
        )
        text = render(entry)
    except (NotLaunchable, ExecError) as exc:
        raise ExportFailed(f"{env}: {source}: {exc}", "export another app or the binary") from None
    target = data_home(ctx) / "applications" / names.launcher_file_name(env, app_id)
    planned.append((target, text.encode("utf-8"), 0o644))
    record = _write(ctx, env, ExportRecord("app", key, origin, image_id, ()), planned)
    warnings += desktop_caches.refresh(data_home(ctx), icons=bool(icons))
    return WrittenExport(env, "app", key, tuple(f.path for f in record.files), tuple(warnings))


def _find_app(box: ContainerFiles, env: str, app: str) -> tuple[str, str, str]:
    """The ledger key, the desktop file id and the real path of the app's .desktop file."""
    try:
        if app.startswith("/"):
            source = box.real_file(app)
            if source is None:
                raise ExportFailed(f"{env}: {app} is not a file in the container")
            app_id = box.desktop_id_for(app) or names.desktop_id(Path(app).name)
            return app, app_id, source
        app_id = names.desktop_id(app)
    except names.UnsafeName as exc:
        raise ExportFailed(
            f"{env}: {exc}", "give the desktop file id, e.g. org.gnome.Foo"
        ) from None
    found = box.desktop_files()
    if app_id not in found:
        near = sorted(i for i in found if app_id.removesuffix(".desktop").lower() in i.lower())
        hint = f"did you mean {', '.join(near[:5])}?" if near else f"see envman exports {env}"
        raise ExportFailed(f"{env}: no desktop file with the id {app_id} in the container", hint)
    return app_id, app_id, found[app_id]


def _parse(data: bytes, env: str, source: str) -> DesktopFile:
    try:
        return parse(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ExportFailed(f"{env}: {source} is not UTF-8 text") from None
    except DesktopEntryError as exc:
        raise ExportFailed(
            f"{env}: {source}: {exc}", "the app's .desktop file is invalid"
        ) from None


def _icons(
    ctx: Context, box: ContainerFiles, env: str, desktop: DesktopFile
) -> tuple[dict[str, str], list[Planned], list[str]]:
    """Copy the icons an entry names; returns Icon value -> host value, files, warnings."""
    values = {
        e.value
        for g in (desktop.main, *desktop.actions())
        for e in g.entries()
        if e.base_key == "Icon"
    }
    icons_dir = data_home(ctx) / "icons"
    mapping: dict[str, str] = {}
    planned: list[Planned] = []
    warnings: list[str] = []
    for value in sorted(values):
        try:
            found = box.icon_files(value)
            if not found:
                warnings.append(
                    f"icon {value} not found in {env}; the host's icon of that name is used"
                )
                continue
            for icon in found:
                planned.append((icons_dir / _icon_target(env, icon), icon.data, 0o644))
            mapping[value] = _icon_value(env, value, icons_dir, found)
        except names.UnsafeName as exc:
            warnings.append(f"{exc}; the launcher goes without an icon")
            mapping[value] = ""
    return mapping, planned, warnings


def _icon_target(env: str, icon: IconFile) -> Path:
    file_name = names.host_icon_name(env, icon.name) + icon.extension
    return Path(*icon.theme_dir, file_name) if icon.theme_dir else Path(file_name)


def _icon_value(env: str, value: str, icons_dir: Path, found: list[IconFile]) -> str:
    """A themed icon becomes a namespaced name; an absolute path stays an absolute path."""
    if value.startswith("/"):
        return str(icons_dir / _icon_target(env, found[0]))
    return names.host_icon_name(env, found[0].name)


def exportable(ctx: Context, env: str) -> list[Exportable]:
    """The apps (desktop files in the container's XDG data dirs) and binaries (on its PATH)."""
    box, _ = _box(ctx, env)
    ledger = load_ledger(ctx.paths, env)
    bins_out = {Path(r.key).name for r in ledger.exports if r.kind == "bin"}
    wrappable = {c: p for c, p in box.path_executables().items() if _wrappable(p)}
    rows = [
        Exportable("app", short, short, path, ledger.find("app", app_id) is not None, False)
        for app_id, path in sorted(box.desktop_files().items())
        if (short := app_id.removesuffix(".desktop"))
    ]
    host = host_commands(ctx.environ.get("PATH", ""))
    for command, path in sorted(wrappable.items()):
        out = command in bins_out
        rows.append(Exportable("bin", path, command, path, out, command in host and not out))
    return rows


def _wrappable(path: str) -> bool:
    try:
        names.bin_name(path)
    except names.UnsafeName:
        return False
    return True


def host_commands(search_path: str) -> set[str]:
    """The command names the host finds on its PATH (envman's own wrappers count)."""
    found: set[str] = set()
    for directory in search_path.split(os.pathsep):
        if not directory.startswith("/"):
            continue
        try:
            found.update(entry.name for entry in Path(directory).iterdir())
        except OSError:
            continue
    return found


def export_bin(
    ctx: Context,
    env: str,
    binary: str,
    *,
    origin: RequestedBy = "cli",
    bins_dir: Path | None = None,
) -> WrittenExport:
    """Write a wrapper for one binary of the environment."""
    try:
        name = names.bin_name(binary)
    except names.UnsafeName as exc:
        raise ExportFailed(f"{env}: {exc}", "give the binary's absolute path") from None
    box, image_id = _box(ctx, env)
    if box.real_executable(binary) is None:
        raise ExportFailed(
            f"{env}: {binary} is not an executable file in the container",
            f"check with: envman run {env} -- ls -l {binary}",
        )
    directory = bins_dir or default_bins_dir(ctx)
    target = directory / name
    text = wrapper_script(env, binary, launcher_argv(ctx.paths))
    draft = ExportRecord("bin", binary, origin, image_id, ())
    record = _write(ctx, env, draft, [(target, text.encode(), 0o755)])
    shadowed = _shadows(ctx, name, directory)
    return WrittenExport(env, "bin", binary, tuple(f.path for f in record.files), shadowed)


def default_bins_dir(ctx: Context) -> Path:
    """~/.local/bin, where distrobox and pip put user commands too."""
    return ctx.paths.home / ".local" / "bin"


def bins_dir_for(ctx: Context, exports: Exports) -> Path:
    """The profile's bins path with ~ and $HOME expanded, or the default."""
    if not exports.bins_path:
        return default_bins_dir(ctx)
    home = str(ctx.paths.home)
    text = exports.bins_path
    for prefix in ("${HOME}", "$HOME", "~"):
        if text == prefix or text.startswith(prefix + "/"):
            text = home + text[len(prefix) :]
            break
    return Path(text)


def _shadows(ctx: Context, name: str, directory: Path) -> tuple[str, ...]:
    """A warning when a host command has the wrapper's name."""
    search = ctx.environ.get("PATH", "").split(os.pathsep)
    others = [d for d in search if d and Path(d).resolve() != directory.resolve()]
    for entry in others:
        candidate = Path(entry) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return (
                f"{candidate} has the same name as the wrapper {directory / name}; "
                "whichever comes first on PATH wins",
            )
    return ()


def _write(ctx: Context, env: str, draft: ExportRecord, planned: list[Planned]) -> ExportRecord:
    """Record, then write atomically, then drop what the previous export of the same key left."""
    ledger = load_ledger(ctx.paths, env)
    previous = ledger.find(draft.kind, draft.key)
    for path, data, _ in planned:
        _check_clash(ledger, path, data)
    files = tuple(FileRecord(str(path), checksum(data)) for path, data, _ in planned)
    stale = _left_behind(previous, files)
    # What the profile exported stays the profile's: a later `envman export` does not take it.
    by_profile = previous is not None and previous.origin == "profile"
    record = replace(draft, origin="profile" if by_profile else draft.origin, files=files)
    # The ledger names every file before it exists, so a crash never leaves an unrecorded file.
    save_ledger(ctx.paths, ledger.with_record(replace(record, files=files + tuple(stale))))
    for path, data, mode in planned:
        write_atomic(path, data, mode)
    for old in stale:
        if file_status(old) == "ours":
            remove_file(Path(old.path))
    save_ledger(ctx.paths, ledger.with_record(record))
    return record


def _left_behind(previous: ExportRecord | None, files: tuple[FileRecord, ...]) -> list[FileRecord]:
    """The files of the previous export of a key that the new one does not write."""
    kept = {x.path for x in files}
    return [f for f in (previous.files if previous else ()) if f.path not in kept]


def _check_clash(ledger: Ledger, path: Path, data: bytes) -> None:
    if not (path.exists() or path.is_symlink()):
        return
    if path.is_file() and not path.is_symlink() and checksum(path.read_bytes()) == checksum(data):
        return
    owner = ledger.owner_of(str(path))
    if owner is None:
        raise FileClash(
            f"{path} exists and envman did not write it",
            "move it away, or export under another name",
        )
    record = next(f for f in owner.files if f.path == str(path))
    if file_status(record) != "ours":
        raise FileClash(
            f"{path} was changed since envman wrote it",
            "keep your version by leaving it, or delete it and export again",
        )


def unexport(
    ctx: Context,
    env: str,
    *,
    apps: tuple[str, ...] = (),
    bins: tuple[str, ...] = (),
    every: bool = False,
) -> Unexported:
    """Remove exactly the files the ledger records; works when the container is already gone."""
    ledger = load_ledger(ctx.paths, env)
    if every:
        chosen = list(ledger.exports)
    else:
        chosen = [_recorded(ledger, env, "app", _app_key(a)) for a in apps]
        chosen += [_recorded(ledger, env, "bin", b) for b in bins]
    removed, kept = _remove(chosen)
    for record in chosen:
        ledger = ledger.without(record.kind, record.key)
    save_ledger(ctx.paths, ledger)
    if any(r.kind == "app" for r in chosen):
        desktop_caches.refresh(data_home(ctx), icons=True)
    return Unexported(env, tuple(r.key for r in chosen), tuple(removed), tuple(kept))


def _app_key(app: str) -> str:
    if app.startswith("/"):
        return app
    try:
        return names.desktop_id(app)
    except names.UnsafeName:
        return app


def _recorded(ledger: Ledger, env: str, kind: Kind, key: str) -> ExportRecord:
    record = ledger.find(kind, key)
    if record is None:
        raise ExportFailed(f"{env}: {key} is not exported", f"see `envman exports {env}`")
    return record


def _remove(records: list[ExportRecord], *, dry_run: bool = False) -> tuple[list[str], list[str]]:
    removed: list[str] = []
    kept: list[str] = []
    for record in records:
        for file in record.files:
            status = file_status(file)
            if status == "ours":
                if not dry_run:
                    remove_file(Path(file.path))
                removed.append(file.path)
            elif status == "changed":
                kept.append(file.path)
    return removed, kept


def remove_all(ctx: Context, env: str, *, dry_run: bool = False) -> Unexported:
    """Every export of an environment, for `envman rm` and `envman gc` (`dry_run`: only say)."""
    if dry_run:
        chosen = list(load_ledger(ctx.paths, env).exports)
        removed, kept = _remove(chosen, dry_run=True)
        return Unexported(env, tuple(r.key for r in chosen), tuple(removed), tuple(kept))
    return unexport(ctx, env, every=True)


def list_exports(ctx: Context, env: str | None = None) -> list[ExportRow]:
    """The ledger, with each export's files checked against what envman wrote."""
    rows: list[ExportRow] = []
    for name in [env] if env else ledger_envs(ctx.paths):
        for record in load_ledger(ctx.paths, name).exports:
            statuses = {file_status(f) for f in record.files}
            status = "ok" if statuses <= {"ours"} else "/".join(sorted(statuses - {"ours"}))
            paths = tuple(f.path for f in record.files)
            rows.append(ExportRow(name, record.kind, record.key, record.origin, paths, status))
    return rows


def reconcile(ctx: Context, env: str, exports: Exports, image_id: str) -> Reconciled:
    """Make the profile's exports true after `up`; drop profile exports the profile lost."""
    ledger = load_ledger(ctx.paths, env)
    wanted: dict[tuple[Kind, str], str] = {("app", _app_key(a)): a for a in exports.apps}
    wanted.update({("bin", b): b for b in exports.bins})
    if not wanted and not ledger.exports:
        return Reconciled()
    unexported = _unexport_dropped(ctx, env, ledger.exports, wanted)
    done: list[str] = []
    warnings: list[str] = []
    bins_dir = bins_dir_for(ctx, exports)
    for (kind, key), value in wanted.items():
        record = load_ledger(ctx.paths, env).find(kind, key)
        if record is not None and _current(record, image_id, bins_dir):
            continue
        try:
            result = _export_for_profile(ctx, env, kind, value, exports=exports, bins_dir=bins_dir)
        except (ExportFailed, FileClash) as exc:
            warnings.append(f"export {key}: {exc.message}")
            continue
        done.append(key)
        warnings.extend(result.warnings)
    return Reconciled(tuple(done), tuple(unexported), tuple(warnings))


def _unexport_dropped(
    ctx: Context,
    env: str,
    records: tuple[ExportRecord, ...],
    wanted: dict[tuple[Kind, str], str],
) -> tuple[str, ...]:
    """Unexport what the profile exported and no longer lists; the keys removed."""
    gone = [r for r in records if r.origin == "profile" and (r.kind, r.key) not in wanted]
    if not gone:
        return ()
    apps = tuple(r.key for r in gone if r.kind == "app")
    bins = tuple(r.key for r in gone if r.kind == "bin")
    return unexport(ctx, env, apps=apps, bins=bins).keys


def _export_for_profile(
    ctx: Context, env: str, kind: Kind, value: str, *, exports: Exports, bins_dir: Path
) -> WrittenExport:
    if kind == "app":
        return export_app(ctx, env, value, origin="profile", label=exports.label is not False)
    return export_bin(ctx, env, value, origin="profile", bins_dir=bins_dir)


def _current(record: ExportRecord, image_id: str, bins_dir: Path) -> bool:
    """Exported by the profile from this image, in the right place, and untouched since."""
    placed = record.kind != "bin" or all(Path(f.path).parent == bins_dir for f in record.files)
    return (
        record.origin == "profile"
        and record.image_id == image_id
        and placed
        and all(file_status(f) == "ours" for f in record.files)
    )


def gc(ctx: Context, *, dry_run: bool = False) -> list[Unexported]:
    """Remove the exports of environments whose container no longer exists (`dry_run`: say).

    Under the environment's lock, so that a swap under way (the old container renamed aside, the
    new one not yet created) does not look like a removed environment.
    """
    from envman.errors import Busy
    from envman.host.writer_locks import env_lock, hold
    from envman.journal import journal_file

    engine = ctx.engine()
    results = []
    for env in ledger_envs(ctx.paths):
        try:
            with hold(env_lock(ctx.paths, env), env, wait=ctx.wait):
                gone = engine.container(env) is None and not journal_file(ctx.paths, env).exists()
                if gone:
                    results.append(remove_all(ctx, env, dry_run=dry_run))
        except Busy as exc:
            ctx.notify(f"skipped the exports of {env}: {exc.message}")
    return results
