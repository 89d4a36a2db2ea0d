"""Checkouts of one commit of a source (profiles/, hooks/, images/), made once, never changed."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from envman.errors import SourceInvalid
from envman.sources import git
from envman.sources.layout import SourceDir

SUBDIRS = ("profiles", "hooks", "images")  # images/: the team registry and its keys


def escaping_links(root: Path) -> list[tuple[Path, str]]:
    """Symbolic links under `root` that lead outside it (target as written)."""
    top = root.resolve()
    found: list[tuple[Path, str]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            path = Path(dirpath) / name
            if path.is_symlink() and not path.resolve().is_relative_to(top):
                found.append((path.relative_to(root), str(path.readlink())))
    return found


def materialise(directory: SourceDir, mirror: Path, commit: str, label: str) -> Path:
    """The checkout of `commit`: built in a temporary directory, renamed into place once."""
    final = directory.tree(commit)
    if final.is_dir():
        return final
    if not git.is_tree(mirror, commit, "profiles"):
        raise SourceInvalid(
            f"{label}: commit {commit[:12]} has no profiles/ directory",
            "a source is a git repository with profiles/ (and hooks/) at its top",
        )
    directory.trees.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=directory.trees))
    try:
        work = staging / "tree"
        work.mkdir()
        git.checkout(mirror, commit, [s for s in SUBDIRS if git.is_tree(mirror, commit, s)], work)
        bad = escaping_links(work)
        if bad:
            path, target = bad[0]
            raise SourceInvalid(
                f"{label}: {path} is a symbolic link to {target}, outside the source",
                "a source's profiles and hooks must stay inside its repository",
            )
        try:
            work.rename(final)
        except OSError:
            if not final.is_dir():  # else another envman made the same checkout meanwhile
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final
