"""Finding profiles (lookup order, name or path) and resolving their includes into one Profile."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path

from envman.errors import ProfileNotFound, ProfileSchemaError
from envman.names import is_name
from envman.profile.boundary import parse_failures, read_profile_text
from envman.profile.ini_format import read_ini_profiles
from envman.profile.merge import conflicting_scalars, merge
from envman.profile.model import FileLine, Profile
from envman.profile.yaml_format import read_yaml_profile

FORMAT_PRECEDENCE = ("yaml", "ini", "containerfile")
# An include graph is bounded: this many levels deep, this many distinct profiles read, and this
# many build steps, hooks and podman_args in what the merge adds up to (a profile reached along
# several paths adds its steps once per path: that is what grows, not the work, which is memoized).
MAX_INCLUDE_DEPTH = 32
MAX_INCLUDED_PROFILES = 256
MAX_MERGED_ITEMS = 10_000


@dataclass(frozen=True)
class ProfileRef:
    """Where one profile lives: a file, and for ini files the section."""

    name: str
    path: Path
    format: str
    section: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """Identity used for cycle detection."""
        return (str(self.path), self.section or "")

    def __str__(self) -> str:
        return f"{self.path}#{self.section}" if self.section else str(self.path)


@dataclass(frozen=True)
class Include:
    """One include as resolved: the name written, the file it resolved to, where it was named."""

    name: str
    ref: ProfileRef
    by: FileLine  # the including file and the line of the include
    depth: int  # 1 for the profile's own includes, 2 for theirs, ...


def format_of(path: Path) -> str | None:
    """The profile format a file name announces, or None."""
    name = path.name
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    if name.endswith(".ini"):
        return "ini"
    lowered = name.lower()
    if lowered in ("containerfile", "dockerfile") or lowered.endswith(
        (".containerfile", ".dockerfile")
    ):
        return "containerfile"
    if lowered.startswith(("containerfile.", "dockerfile.")):
        return "containerfile"
    return None


def name_of(path: Path) -> str:
    """The profile name of a file: ansible.yaml, ansible.Containerfile, Containerfile.ansible."""
    name = path.name
    lowered = name.lower()
    if lowered in ("containerfile", "dockerfile"):
        return path.parent.name
    if lowered.startswith(("containerfile.", "dockerfile.")):
        return name.split(".", 1)[1]
    return name.rsplit(".", 1)[0]


def _ini_profiles(path: Path) -> list[Profile]:
    """The sections of an ini file, each text parsed once.

    Resolving includes looks sections up again and again (each include, each section):
    parsing the whole file every time was quadratic. Reading it again is cheap.
    """
    return list(_parsed_ini(str(path), read_profile_text(path)))


@functools.lru_cache(maxsize=16)
def _parsed_ini(path: str, text: str) -> tuple[Profile, ...]:
    with parse_failures(path, "a distrobox ini file"):
        return tuple(read_ini_profiles(text, path))


def refs_in_file(path: Path) -> list[ProfileRef]:
    """The profiles one file defines (an ini file may define several)."""
    fmt = format_of(path)
    if fmt == "ini":
        return [ProfileRef(p.name, path, "ini", p.name) for p in _ini_profiles(path)]
    if fmt is None:
        return []
    return [ProfileRef(name_of(path), path, fmt)]


def refs_in_dir(directory: Path) -> list[ProfileRef]:
    """All profiles of a directory, by name, in format precedence (the first of a name wins)."""
    if not directory.is_dir():
        return []
    refs: list[ProfileRef] = []
    for path in sorted(directory.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            refs.extend(refs_in_file(path))
    return sorted(refs, key=lambda r: (r.name, FORMAT_PRECEDENCE.index(r.format), str(r.path)))


def list_profiles(dirs: tuple[Path, ...]) -> list[tuple[ProfileRef, bool]]:
    """Every profile in lookup order, each with whether it is the one a bare name selects."""
    seen: set[str] = set()
    out: list[tuple[ProfileRef, bool]] = []
    for directory in dirs:
        for ref in refs_in_dir(directory):
            out.append((ref, ref.name not in seen))
            seen.add(ref.name)
    return out


def _find_in_dir(directory: Path, name: str) -> ProfileRef | None:
    for suffix in (".yaml", ".yml"):
        if (directory / f"{name}{suffix}").is_file():
            return ProfileRef(name, directory / f"{name}{suffix}", "yaml")
    for ref in refs_in_dir(directory):
        if ref.name == name:
            return ref
    return None


def find(arg: str, dirs: tuple[Path, ...], cwd: Path) -> ProfileRef:
    """A profile by name (lookup order) or by path (`file`, or `file.ini#section`)."""
    found = _find_by_path(arg, cwd) or (_find_by_name(arg, dirs) if is_name(arg) else None)
    if found is not None:
        return found
    searched = ", ".join(str(d) for d in dirs)
    raise ProfileNotFound(
        f"no profile named '{arg}'", f"looked in {searched}; see `envman profile list`"
    )


def _find_by_path(arg: str, cwd: Path) -> ProfileRef | None:
    """The profile `arg` names as a file (`file` or `file.ini#section`); None: not a file."""
    path_part, _, section = arg.partition("#")
    candidate = Path(path_part).expanduser()
    if not candidate.is_absolute():
        candidate = cwd / candidate
    looks_like_path = "/" in path_part or format_of(Path(path_part)) is not None
    if looks_like_path and candidate.is_file():
        return _ref_for_file(candidate.resolve(), section or None)
    if looks_like_path and "/" in path_part:
        raise ProfileNotFound(
            f"{path_part}: no such file", "check the path, or give a profile name"
        )
    return None


def _find_by_name(name: str, dirs: tuple[Path, ...]) -> ProfileRef | None:
    """The first profile of that name in the lookup order."""
    for directory in dirs:
        ref = _find_in_dir(directory, name)
        if ref is not None:
            return ref
    return None


def _ref_for_file(path: Path, section: str | None) -> ProfileRef:
    refs = refs_in_file(path)
    if not refs:
        raise ProfileNotFound(f"{path}: not a profile file", "use .yaml, .ini or a Containerfile")
    if section is not None:
        for ref in refs:
            if ref.section == section:
                return ref
        names = ", ".join(r.name for r in refs)
        raise ProfileNotFound(f"{path}: no section [{section}]", f"sections: {names}")
    if len(refs) > 1:
        names = ", ".join(r.name for r in refs)
        raise ProfileNotFound(
            f"{path} defines several profiles ({names})", f"pick one: {path}#{refs[0].name}"
        )
    return refs[0]


def load_raw(ref: ProfileRef) -> Profile:
    """One profile as written, includes not yet applied."""
    if ref.format == "ini":
        for profile in _ini_profiles(ref.path):
            if profile.name == ref.section:
                return profile
        raise ProfileNotFound(f"{ref.path}: no section [{ref.section}]")
    text = read_profile_text(ref.path)
    if ref.format == "yaml":
        return read_yaml_profile(text, str(ref.path), ref.name)
    # The Containerfile parser is sizeable: load it only for Containerfile profiles.
    from envman.profile.containerfile_format import read_containerfile_profile

    return read_containerfile_profile(text, str(ref.path), ref.name)


class Resolver:
    """Resolves includes recursively with cycle detection and bounds; each profile once."""

    def __init__(self, dirs: tuple[Path, ...], cwd: Path) -> None:
        self.dirs = dirs
        self.cwd = cwd
        self._raw: dict[tuple[str, str], Profile] = {}
        self.includes: list[Include] = []  # every include resolved, in order, parents first
        self._resolved: dict[tuple[str, str], tuple[Profile, int]] = {}
        self._sections: dict[Path, dict[str, ProfileRef]] = {}

    def resolve(self, ref: ProfileRef) -> Profile:
        """The profile with all includes merged in order, then its own values on top."""
        return self._resolve(ref, ())[0]

    def _resolve(
        self, ref: ProfileRef, chain: tuple[ProfileRef, ...], via: FileLine | None = None
    ) -> tuple[Profile, int]:
        """The resolved profile and how many profiles were merged into it (itself included)."""
        if any(r.key == ref.key for r in chain):
            cycle = " -> ".join(r.name for r in (*chain, ref))
            raise ProfileSchemaError(
                f"{via or chain[-1]}: include cycle: {cycle}", "remove one of the includes"
            )
        if ref.key in self._resolved:
            return self._resolved[ref.key]
        if len(chain) >= MAX_INCLUDE_DEPTH:
            raise ProfileSchemaError(
                f"{via}: include: more than {MAX_INCLUDE_DEPTH} levels of includes (includes "
                f"nest more than {MAX_INCLUDE_DEPTH} deep: {chain[0].name} -> ... -> {ref.name})",
                "flatten the chain: include the shared profiles side by side",
            )
        own = self._load(ref)
        result, count = self._merged(ref, own, chain) if own.includes else (own, 1)
        self._resolved[ref.key] = (result, count)
        return result, count

    def _merged(
        self, ref: ProfileRef, own: Profile, chain: tuple[ProfileRef, ...]
    ) -> tuple[Profile, int]:
        base: Profile | None = None
        count = 1
        for name in own.includes:
            via = own.locations.get(f"include[{name}]", own.origin)
            target = self._find_include(name, ref, own)
            self.includes.append(Include(name, target, via, len(chain) + 1))
            included, size = self._resolve(target, (*chain, ref), via)
            count += size
            base = included if base is None else _bounded_merge(base, included, own)
        assert base is not None
        merged = _bounded_merge(base, own, own)
        if own.format == "ini":
            clashes = conflicting_scalars(base, own)
            if clashes:
                note = (
                    f"{own.origin}: [{own.name}] and its include both set {', '.join(clashes)}: "
                    f"envman keeps [{own.name}]'s value; distrobox 1.x turns such a pair into "
                    "garbage, 2.x keeps the included one"
                )
                merged = replace(merged, warnings=(*merged.warnings, note))
        return replace(merged, includes=own.includes), count

    def files(self) -> tuple[Path, ...]:
        """Every profile file read so far (the profile and its includes), sorted."""
        return tuple(sorted({Path(path) for path, _ in self._raw}))

    def _load(self, ref: ProfileRef) -> Profile:
        if ref.key not in self._raw:
            if len(self._raw) >= MAX_INCLUDED_PROFILES:
                raise ProfileSchemaError(
                    f"{ref}: more than {MAX_INCLUDED_PROFILES} profiles are included",
                    "include fewer, larger profiles",
                )
            self._raw[ref.key] = load_raw(ref)
        return self._raw[ref.key]

    def _find_include(self, name: str, including: ProfileRef, own: Profile) -> ProfileRef:
        directory = including.path.parent
        if including.format == "ini" and name in self._sections_of(including.path):
            return self._sections_of(including.path)[name]
        if "/" in name or format_of(Path(name)) is not None:
            return _include_file(directory, name, own)
        local = _find_in_dir(directory, name)
        if local is not None:
            return local
        try:
            return find(name, self.dirs, self.cwd)
        except ProfileNotFound:
            raise ProfileNotFound(
                f"{own.origin}: include: no profile named '{name}'", "see `envman profile list`"
            ) from None

    def _sections_of(self, path: Path) -> dict[str, ProfileRef]:
        """The sections of an ini file, read once."""
        if path not in self._sections:
            self._sections[path] = {ref.name: ref for ref in refs_in_file(path)}
        return self._sections[path]


def _include_file(directory: Path, name: str, own: Profile) -> ProfileRef:
    """An include given as a file: inside the including profile's directory."""
    target = (directory / name).resolve()
    if not target.is_relative_to(directory.resolve()):
        raise ProfileSchemaError(
            f"{own.origin}: include: '{name}' points outside {directory}",
            "includes stay inside the including profile's directory",
        )
    if not target.is_file():
        raise ProfileNotFound(f"{own.origin}: include: no file '{name}'")
    return _ref_for_file(target, None)


def _bounded_merge(base: Profile, own: Profile, including: Profile) -> Profile:
    """merge(), refusing a result that the include graph has multiplied beyond reason."""
    size = sum(
        len(p.build_steps) + len(p.hooks) + len(p.podman_args) + len(p.warnings)
        for p in (base, own)
    )
    if size > MAX_MERGED_ITEMS:
        raise ProfileSchemaError(
            f"{including.origin}: with its includes, {including.name} adds up to more than "
            f"{MAX_MERGED_ITEMS} build steps, hooks and podman_args",
            "a profile included along several paths adds its steps once per path: include it once",
        )
    return merge(base, own)


def resolve(arg: str, dirs: tuple[Path, ...], cwd: Path) -> tuple[ProfileRef, Profile]:
    """Find a profile by name or path and resolve its includes."""
    ref = find(arg, dirs, cwd)
    return ref, Resolver(dirs, cwd).resolve(ref)


def origin_for(ref: ProfileRef) -> FileLine:
    """The origin of a whole profile file."""
    return FileLine(str(ref.path), 1)
