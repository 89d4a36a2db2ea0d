"""Profile operations: list, show, explain, validate, import and export between the formats."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from envman.errors import Aborted, EnvmanError, ExitCode, UsageError
from envman.host.files import write_atomic
from envman.ops.build_inputs import Resolved, refuse_unverified_host_hooks, resolve_profile
from envman.ops.context import Context
from envman.profile.boundary import parse_failures, read_profile_text
from envman.profile.ini_format import read_ini_profiles, write_ini_profiles
from envman.profile.locations import flatten, value_text
from envman.profile.model import DEFAULT_IMAGE, FileLine, Profile
from envman.profile.resolver import (
    Include,
    format_of,
    list_profiles,
    load_raw,
    name_of,
    refs_in_file,
)
from envman.profile.yaml_format import profile_to_data, write_yaml_profile
from envman.sources.lookup import lookup_dirs


@dataclass(frozen=True)
class ProfileEntry:
    """One row of `profile list`."""

    name: str
    format: str
    path: str
    selected: bool
    origin: str = ""  # cwd, config, source or shipped
    address: str = ""  # what selects exactly this profile: its path, or SOURCE/PROFILE@REF
    commit: str = ""  # for a source's profile: the commit of its last sync


def list_all(ctx: Context) -> list[ProfileEntry]:
    """Every profile in lookup order; `selected` marks the one a bare name picks."""
    dirs = lookup_dirs(ctx.paths)
    entries = []
    for ref, selected in list_profiles(tuple(d.path for d in dirs)):
        where = next((d for d in dirs if d.path == ref.path.parent), None)
        if where is not None and where.kind == "source":
            address = f"{where.source}/{ref.name}@{where.ref}"
            entries.append(
                ProfileEntry(
                    ref.name, ref.format, str(ref), selected, "source", address, where.commit or ""
                )
            )
        else:
            kind = where.kind if where is not None else ""
            entries.append(ProfileEntry(ref.name, ref.format, str(ref), selected, kind, str(ref)))
    return entries


@dataclass(frozen=True)
class Shown:
    """A resolved profile with what envman derives from it."""

    name: str
    source: str
    content_hash: str
    image_tag: str
    base_image: str
    profile: dict[str, Any]
    containerfile: str
    warnings: tuple[str, ...]
    published_hash: str  # the team image's tag: the content hash without this host's own CAs


def show(ctx: Context, arg: str) -> Shown:
    """The resolved profile (includes merged, defaults applied) and its content hash."""
    resolved = resolve_profile(ctx.paths, ctx.config, arg)
    return Shown(
        name=resolved.name,
        source=resolved.provenance,
        content_hash=resolved.plan.content_hash,
        image_tag=resolved.tag,
        base_image=resolved.base_image,
        profile=profile_to_data(replace(resolved.profile, includes=())),
        containerfile=resolved.plan.containerfile,
        warnings=resolved.profile.warnings,
        published_hash=resolved.published_hash,
    )


@dataclass(frozen=True)
class ExplainRow:
    """One resolved value and where it was written; no file means a default."""

    key: str
    value: str
    file: str = ""  # a team source's file by its path in the source's repository
    line: int = 0
    revision: str = ""  # SOURCE/PROFILE@REF when the file came from a team source
    commit: str = ""


@dataclass(frozen=True)
class IncludeRow:
    """One include as resolved: the name written, the file it resolved to, where it was named."""

    name: str
    depth: int  # 1 for the profile's own includes, 2 for theirs, ...
    file: str  # a team source's file by its path in the source's repository
    kind: str  # local, shipped or source
    included_at: str  # file:line of the include
    revision: str = ""  # SOURCE/PROFILE@REF for a source's file
    commit: str = ""
    verified: bool = True  # whether host hooks written in the file may run


@dataclass(frozen=True)
class Explained:
    """Every value of a resolved profile with its file, line and source revision."""

    name: str
    source: str
    content_hash: str
    rows: tuple[ExplainRow, ...]
    warnings: tuple[str, ...]
    includes: tuple[IncludeRow, ...] = ()


def explain(ctx: Context, arg: str) -> Explained:
    """Where each resolved value comes from: includes merged, defaults marked as such."""
    resolved = resolve_profile(ctx.paths, ctx.config, arg)
    profile = resolved.profile
    data = profile_to_data(replace(profile, includes=(), image=profile.image or DEFAULT_IMAGE))
    rows = tuple(
        _explain_row(resolved, key, value) for key, value, _ in flatten(data) if key != "envman"
    )
    includes = tuple(_include_row(resolved, include) for include in resolved.includes)
    return Explained(
        resolved.name,
        resolved.provenance,
        resolved.plan.content_hash,
        rows,
        profile.warnings,
        includes,
    )


def _explain_row(resolved: Resolved, key: str, value: Any) -> ExplainRow:
    origin = resolved.profile.locations.get(key)
    if origin is None:
        return ExplainRow(key, value_text(value))
    came_from = resolved.provenance_of(origin)
    commit = came_from.revision.commit if came_from.revision else ""
    address = came_from.address
    return ExplainRow(key, value_text(value), came_from.path, origin.line, address, commit)


def _include_row(resolved: Resolved, include: Include) -> IncludeRow:
    came_from = resolved.provenance_of(FileLine(str(include.ref.path)))
    by = resolved.provenance_of(include.by)
    at = f"{by.path}:{include.by.line}" if include.by.line else by.path
    return IncludeRow(
        include.name,
        include.depth,
        came_from.path,
        came_from.kind,
        at,
        came_from.address,
        came_from.revision.commit if came_from.revision else "",
        came_from.verified,
    )


@dataclass(frozen=True)
class Validation:
    """The outcome for one profile: None error means valid."""

    target: str
    error: str | None
    hint: str | None
    exit_code: int
    warnings: tuple[str, ...]


def validate(ctx: Context, targets: list[str], *, strict: bool = False) -> list[Validation]:
    """Resolve each target (all known profiles when none are given) and collect errors.

    An ini file named without #SECTION stands for all of its sections. With `strict`, a
    warning fails its profile as a schema error (for a team's CI).
    """
    if not targets:
        targets = [entry.address for entry in list_all(ctx)]
    results = []
    for target in targets:
        try:
            expanded = _sections_of(ctx, target)
        except EnvmanError as exc:
            results.append(Validation(target, exc.message, exc.hint, exc.exit_code, ()))
            continue
        results.extend(_validate_one(ctx, one, strict=strict) for one in expanded)
    return results


def _sections_of(ctx: Context, target: str) -> list[str]:
    """`team.ini` as `team.ini#a`, `team.ini#b`, ...; any other target as itself."""
    path_part, hash_mark, _ = target.partition("#")
    path = Path(path_part).expanduser()
    if hash_mark or format_of(path) != "ini":
        return [target]
    path = path if path.is_absolute() else ctx.paths.cwd / path
    if not path.is_file():
        return [target]
    return [f"{target}#{ref.section}" for ref in refs_in_file(path)] or [target]


def _validate_one(ctx: Context, target: str, *, strict: bool) -> Validation:
    try:
        resolved = resolve_profile(ctx.paths, ctx.config, target)
        refuse_unverified_host_hooks(resolved)  # `up` refuses it too, before building
        warnings = resolved.profile.warnings
    except EnvmanError as exc:
        return Validation(target, exc.message, exc.hint, exc.exit_code, ())
    if strict and warnings:
        hint = (
            f"--strict turns warnings into errors ({len(warnings)} here): write the portable "
            "spelling a warning names, or fix what it says"
        )
        return Validation(target, warnings[0], hint, ExitCode.PROFILE_SCHEMA, warnings[1:])
    return Validation(target, None, None, 0, warnings)


@dataclass(frozen=True)
class Imported:
    """Files written by `profile import`."""

    written: tuple[str, ...]
    warnings: tuple[str, ...]


def import_profiles(
    source: Path, out_dir: Path, *, hooks_as: str = "build", force: bool = False
) -> Imported:
    """distrobox ini sections or a Containerfile -> envman YAML profiles in `out_dir`."""
    profiles = _importable(source, out_dir, hooks_as)
    targets = [(out_dir / f"{p.name}.yaml", p) for p in profiles]
    existing = [str(t) for t, _ in targets if t.exists()]
    if existing and not force:
        raise Aborted(f"{existing[0]} exists", "pass --force to overwrite it")
    for target, profile in targets:
        write_atomic(target, write_yaml_profile(replace(profile, format="yaml")))
    warnings = tuple(w for p in profiles for w in p.warnings)
    return Imported(tuple(str(t) for t, _ in targets), warnings)


def _importable(source: Path, out_dir: Path, hooks_as: str) -> list[Profile]:
    """The profiles a file holds, by its format."""
    fmt = format_of(source)
    if fmt == "ini":
        text = read_profile_text(source)
        with parse_failures(str(source), "a distrobox ini file"):
            return read_ini_profiles(text, str(source), hooks_when=hooks_as)
    if fmt == "containerfile":
        read_profile_text(source)  # a missing or unreadable file is refused here, not later
        return [_containerfile_as_yaml(source, out_dir)]
    if fmt == "yaml":
        return [load_raw(refs_in_file(source)[0])]
    raise UsageError(f"{source}: not a profile file", "import .ini files or Containerfiles")


def _containerfile_as_yaml(source: Path, out_dir: Path) -> Profile:
    relative = os.path.relpath(source.resolve(), out_dir.resolve())
    if relative.startswith(".."):
        raise UsageError(
            f"{source} is outside {out_dir}",
            "a YAML profile uses a Containerfile of its own directory: import into that directory",
        )
    return Profile(name=name_of(source), origin=FileLine(str(source), 1), containerfile=relative)


@dataclass(frozen=True)
class ConvertedProfile:
    """A profile in another format."""

    text: str
    warnings: tuple[str, ...]


def export_profile(ctx: Context, arg: str, fmt: str) -> ConvertedProfile:
    """The resolved profile as a distrobox ini section or as envman YAML."""
    resolved = resolve_profile(ctx.paths, ctx.config, arg)
    profile = replace(resolved.profile, includes=())
    if fmt == "ini":
        text, warnings = write_ini_profiles([profile])
        return ConvertedProfile(text, tuple(warnings))
    if fmt == "yaml":
        return ConvertedProfile(write_yaml_profile(profile), ())
    raise UsageError(f"unknown export format {fmt!r}", "use ini or yaml")
