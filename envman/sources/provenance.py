"""Where each profile file comes from (yours, shipped, a source's commit) and what it may do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from envman.errors import HookFailed, ProfileNotFound
from envman.paths import Paths
from envman.profile.resolver import Include, ProfileRef, find
from envman.sources.lookup import Revision


@dataclass(frozen=True)
class Provenance:
    """Where one profile file comes from, and so how far envman trusts what it declares."""

    kind: str  # local, shipped or source; unknown for a file not read for the profile
    path: str  # the file; a source's file by its path in the repository
    revision: Revision | None = None  # a source's file: the source, ref and commit
    profile: str = ""  # the profile the file defines

    @property
    def verified(self) -> bool:
        """Whether its host hooks may run: the user's own and shipped files, signed sources."""
        if self.kind == "source":
            return self.revision is not None and bool(self.revision.signer)
        return self.kind in ("local", "shipped")

    @property
    def address(self) -> str:
        """`SOURCE/PROFILE@REF` for a source's file, else ''."""
        return self.revision.address(self.profile) if self.revision else ""


def shadowing_includes(
    paths: Paths, includes: Iterable[Include], trust: Mapping[str, Provenance]
) -> tuple[str, ...]:
    """Warnings for includes by name, in your own or shipped files, that a source's profile
    answered although a shipped profile has that name: maybe not the one you meant."""
    shipped = (paths.shipped / "profiles",)
    notes = []
    for include in includes:
        came_from = trust.get(str(include.ref.path))
        by = trust.get(include.by.file)
        if came_from is None or came_from.kind != "source" or by is None or by.kind == "source":
            continue
        try:
            find(include.name, shipped, paths.cwd)
        except ProfileNotFound:
            continue
        commit = came_from.revision.commit[:12] if came_from.revision else "?"
        notes.append(
            f"{include.by}: include '{include.name}' is {came_from.address} (commit {commit}) "
            f"of a team source, not the shipped profile '{include.name}'"
        )
    return tuple(notes)


def check_host_hook(came_from: Provenance, line: int) -> None:
    """Refuse a `when: host` hook written in a file that is neither the user's, shipped, nor of a
    source whose ref was verified: it would run on this machine, outside any container."""
    if came_from.verified:
        return
    at = f"{came_from.path}:{line}" if line else came_from.path
    revision = came_from.revision
    if revision is None:
        owner = "a team source's file" if came_from.kind == "source" else "an unread file"
        why = "envman cannot vouch for it"
    else:
        owner = f"source '{revision.source}' ({came_from.address}, commit {revision.commit[:12]})"
        why = "the source's refs are not verified"
    raise HookFailed(
        f"{at}: a host hook of {owner} would run on this machine, and {why}",
        "add the source with --verify (signed tags or commits), or copy the profile to "
        "./profiles after reviewing it; nothing was built",
    )


def provenance_of(paths: Paths, ref: ProfileRef, revisions: Iterable[Revision]) -> Provenance:
    """What a profile file is: a checkout of one of `revisions`, any other source's, shipped, local.

    A file in a checkout no revision names (a tree left from an older sync) is an unverified
    source's: nothing in it was checked for this build.
    """
    path = ref.path.resolve()
    for revision in revisions:
        tree = revision.tree.resolve()
        if path.is_relative_to(tree):
            return Provenance("source", str(path.relative_to(tree)), revision, ref.name)
    sources = paths.sources.resolve()
    if path.is_relative_to(sources):
        parts = path.relative_to(sources).parts
        if len(parts) > 3 and parts[1] == "trees":
            tree = sources.joinpath(*parts[:3])
            stray = Revision(parts[0], parts[2], "commit", parts[2], tree)
            return Provenance("source", str(path.relative_to(tree)), stray, ref.name)
        return Provenance("source", str(path), None, ref.name)
    if path.is_relative_to(paths.shipped.resolve() / "profiles"):
        return Provenance("shipped", str(ref.path), None, ref.name)
    return Provenance("local", str(ref.path), None, ref.name)
