"""Known environment and profile names, by directory listing only: for completion and hints.

Completion runs on every TAB, so nothing here parses YAML or talks to podman.
"""

from __future__ import annotations

from pathlib import Path

from envman.paths import Paths


def _listdir(path: Path) -> list[str]:
    try:
        return [entry.name for entry in path.iterdir()]
    except OSError:
        return []


def env_names(paths: Paths | None = None) -> list[str]:
    """Environments envman has records of: state/envs/NAME.json and state/run/NAME."""
    paths = paths or Paths.from_env()
    names = {f[: -len(".json")] for f in _listdir(paths.state / "envs") if f.endswith(".json")}
    names.update(f for f in _listdir(paths.state / "run") if not f.startswith("."))
    return sorted(names)


def _profile_dirs(paths: Paths) -> list[Path]:
    dirs = list(paths.profile_dirs)
    for source in sorted(_listdir(paths.sources)):
        trees = paths.sources / source / "trees"
        dirs.extend(trees / commit / "profiles" for commit in sorted(_listdir(trees)))
    return dirs


def _ini_sections(path: Path) -> list[str]:
    """`[section]` headers of an ini file, by a line scan of its first 64 KiB (no parsing)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(65536).decode("utf-8", "replace")
    except OSError:
        return []
    lines = (line.strip() for line in head.splitlines())
    return [line[1:-1].strip() for line in lines if line.startswith("[") and line.endswith("]")]


def _names_in(directory: Path) -> list[str]:
    """Profile names a directory's file names announce (as profile/resolver.py names them)."""
    out = []
    for entry in _listdir(directory):
        lowered = entry.lower()
        if entry.startswith("."):
            continue
        if lowered.endswith((".yaml", ".yml", ".containerfile", ".dockerfile")):
            out.append(entry.rsplit(".", 1)[0])
        elif lowered.startswith(("containerfile.", "dockerfile.")):
            out.append(entry.split(".", 1)[1])
        elif lowered.endswith(".ini"):
            out.extend(_ini_sections(directory / entry))
    return out


def profile_names(paths: Paths | None = None) -> list[str]:
    """Profile names in the lookup directories: file names, and ini section headers."""
    paths = paths or Paths.from_env()
    names: set[str] = set()
    for directory in _profile_dirs(paths):
        names.update(_names_in(directory))
    return sorted(n for n in names if n)


def complete_env(incomplete: str) -> list[str]:
    """Shell completion: environment names."""
    return [n for n in env_names() if n.startswith(incomplete)]


def complete_profile(incomplete: str) -> list[str]:
    """Shell completion: profile names (environments are named after their profiles)."""
    return [n for n in profile_names() if n.startswith(incomplete)]


def complete_env_or_profile(incomplete: str) -> list[str]:
    """Shell completion for `up`/`status`: profiles and existing environments."""
    return sorted({*complete_env(incomplete), *complete_profile(incomplete)})


def did_you_mean(name: str, known: list[str]) -> str | None:
    """`did you mean 'X'?` for the closest known name, if one is close."""
    import difflib

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
