"""The git CLI for team sources (through envman/runner.py): mirrors, fetches, refs, signatures."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from envman import runner
from envman.errors import (
    EnvmanError,
    GitFailed,
    RefNotFound,
    SourceInvalid,
    SourceUnreachable,
)
from envman.sources.names import FULL_HEX_RE, HEX_RE, check_ref

NETWORK_TIMEOUT = 600.0
# Settings for every git call: no remote helpers that run commands, objects checked on arrival.
SAFETY = ("-c", "protocol.ext.allow=never", "-c", "transfer.fsckObjects=true")

_NOT_A_REPO = (
    "does not appear to be a git repository",
    "not a git repository",
    "repository not found",
    "does not exist",
    "returned error: 404",
    "not found",
)
_UNREACHABLE = (
    "could not resolve",
    "failed to connect",
    "connection refused",
    "connection timed out",
    "timed out",
    "network is unreachable",
    "no route to host",
    "temporary failure in name resolution",
    "couldn't connect",
    "could not read from remote repository",
    "unable to access",
    "authentication failed",
    "permission denied",
)


@dataclass(frozen=True)
class GitRef:
    """A ref resolved in a mirror: what it names and the commit it leads to."""

    name: str  # as asked: a tag, branch or (abbreviated) commit
    kind: str  # tag, branch or commit
    target: str  # the object the ref points at (a tag object for annotated tags)
    commit: str


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    # C messages (they are matched below), never a password prompt on the terminal.
    return {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", **(extra or {})}


def git(
    args: Sequence[str],
    *,
    git_dir: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> runner.Completed:
    """Run git with envman's safety settings; the caller decides what a failure means."""
    if runner.which("git") is None:
        raise GitFailed("git is not installed", "install git (apt install git, dnf install git)")
    argv = ["git", *SAFETY]
    if git_dir is not None:
        argv += ["--git-dir", str(git_dir)]
    return runner.run([*argv, *args], env=_env(extra_env), timeout=timeout)


def last_line(text: str) -> str:
    """The last non-empty line of git's output, 'fatal: ' dropped."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "no message"
    line = lines[-1]
    if line == "fatal: Could not read from remote repository." and len(lines) > 1:
        line = lines[-2]
    return line.removeprefix("fatal: ").removeprefix("error: ")


def remote_error(stderr: str, url: str, what: str) -> EnvmanError:
    """Classify a failed clone/fetch: not a repository, unreachable, or something else."""
    lowered = stderr.lower()
    said = last_line(stderr)
    if any(p in lowered for p in _NOT_A_REPO):
        return SourceInvalid(
            f"{what}: {url} is not a git repository ({said})",
            "check the URL: a git repository with profiles/ (and hooks/)",
        )
    if any(p in lowered for p in _UNREACHABLE):
        return SourceUnreachable(
            f"{what}: cannot reach {url} ({said})",
            "check the network and your git credentials; the last sync, if any, is kept",
        )
    return GitFailed(f"{what}: git failed on {url} ({said})")


def clone_mirror(url: str, dest: Path, what: str) -> None:
    """A bare mirror of `url` in the (empty) directory `dest`."""
    result = git(["clone", "--mirror", "--quiet", "--", url, str(dest)], timeout=NETWORK_TIMEOUT)
    if not result.ok:
        raise remote_error(result.stderr, url, what)


def fetch(mirror: Path, url: str, what: str, *, update_head: bool) -> None:
    """Bring a mirror up to date with `url` (refs pruned, force-pushes followed)."""
    result = git(["remote", "set-url", "origin", url], git_dir=mirror)
    if not result.ok:
        raise GitFailed(f"{what}: {last_line(result.stderr)}")
    result = git(["fetch", "--prune", "--quiet", "origin"], git_dir=mirror, timeout=NETWORK_TIMEOUT)
    if not result.ok:
        raise remote_error(result.stderr, url, what)
    if update_head:
        _follow_remote_head(mirror)


def _follow_remote_head(mirror: Path) -> None:
    """Point HEAD at the remote's default branch (it may have changed since the clone)."""
    result = git(["ls-remote", "--symref", "origin", "HEAD"], git_dir=mirror, timeout=60.0)
    for line in result.stdout.splitlines():
        target, _, name = line.partition("\t")
        if name == "HEAD" and target.startswith("ref: refs/heads/"):
            branch = target.removeprefix("ref: ")
            if _rev(mirror, branch) is not None:
                git(["symbolic-ref", "HEAD", branch], git_dir=mirror)


def default_branch(mirror: Path) -> str | None:
    """The branch the mirror's HEAD names (the remote's default branch)."""
    result = git(["symbolic-ref", "--quiet", "HEAD"], git_dir=mirror)
    name = result.stdout.strip()
    if not result.ok or not name.startswith("refs/heads/"):
        return None
    branch = name.removeprefix("refs/heads/")
    return branch if _rev(mirror, name) is not None else None


def _rev(mirror: Path, spec: str) -> str | None:
    result = git(["rev-parse", "--verify", "--quiet", "--end-of-options", spec], git_dir=mirror)
    return result.stdout.strip() if result.ok else None


def resolve_ref(mirror: Path, ref: str, source: str) -> GitRef:
    """A tag, branch or commit of the mirror (offline): tags win over branches, as in git."""
    check_ref(ref, source)
    if FULL_HEX_RE.match(ref):
        commit = _rev(mirror, f"{ref}^{{commit}}")
        if commit is not None:
            return GitRef(ref, "commit", commit, commit)
    for kind, full in (("tag", f"refs/tags/{ref}"), ("branch", f"refs/heads/{ref}")):
        target = _rev(mirror, full)
        if target is None:
            continue
        commit = _rev(mirror, f"{full}^{{commit}}")
        if commit is None:
            raise RefNotFound(f"source '{source}': {kind} '{ref}' does not point to a commit")
        return GitRef(ref, kind, target, commit)
    if HEX_RE.match(ref):
        commit = _rev(mirror, f"{ref}^{{commit}}")
        if commit is not None:
            return GitRef(ref, "commit", commit, commit)
    raise RefNotFound(
        f"source '{source}' has no tag, branch or commit '{ref}'",
        f"as of its last sync: `envman source sync {source}` fetches new refs",
    )


def object_text(mirror: Path, kind: str, obj: str) -> str | None:
    """The raw text of a tag or commit object, or None when it is of another type."""
    result = git(["cat-file", kind, obj], git_dir=mirror)
    return result.stdout if result.ok else None


def is_tree(mirror: Path, commit: str, path: str) -> bool:
    """Whether `path` is a directory in `commit`."""
    result = git(["cat-file", "-t", f"{commit}:{path}"], git_dir=mirror)
    return result.ok and result.stdout.strip() == "tree"


def verify_object(mirror: Path, kind: str, obj: str) -> tuple[bool, str]:
    """git verify-tag / verify-commit with the user's keys: (good, what git said)."""
    command = "verify-tag" if kind == "tag" else "verify-commit"
    result = git([command, obj], git_dir=mirror)
    return result.ok, (result.stderr + result.stdout).strip()


def checkout(mirror: Path, commit: str, subdirs: Sequence[str], work_tree: Path) -> None:
    """Write `subdirs` of `commit` into `work_tree` with git's own checkout (its path checks)."""
    index = work_tree.parent / f".{work_tree.name}.index"
    env = {"GIT_INDEX_FILE": str(index)}
    base = ["--work-tree", str(work_tree)]
    try:
        for sub in subdirs:
            result = git(
                [*base, "read-tree", f"--prefix={sub}/", f"{commit}:{sub}"],
                git_dir=mirror,
                extra_env=env,
            )
            if not result.ok:
                raise GitFailed(f"cannot read {sub}/ of {commit}: {last_line(result.stderr)}")
        result = git([*base, "checkout-index", "--all", "--force"], git_dir=mirror, extra_env=env)
        if not result.ok:
            raise GitFailed(f"cannot check out {commit}: {last_line(result.stderr)}")
    finally:
        index.unlink(missing_ok=True)
