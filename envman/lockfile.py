"""envman.lock: the exact inputs of profiles (base digest, files, source commits)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import yaml

from envman.errors import EnvmanError, LockInvalid
from envman.profile.located import load_yaml
from envman.profile.reader import Reader

LOCK_NAME = "envman.lock"
LOCK_VERSION = 1
HEADER = (
    "# envman.lock: the exact inputs of the profiles beside it. Written by `envman lock` and\n"
    "# `envman update`; review it in merge requests like the profiles themselves.\n"
)
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_COMMIT_RE = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
PROFILE_KEYS = ("content_hash", "base", "files", "sources")


@dataclass(frozen=True)
class LockedSource:
    """A team source's ref and the commit it resolved to when the lock was written."""

    source: str
    ref: str
    commit: str


@dataclass(frozen=True)
class LockedProfile:
    """One profile's inputs: its base image (by digest), its files, the sources it used."""

    name: str
    content_hash: str
    base_image: str
    base_digest: str
    files: tuple[tuple[str, str], ...] = ()
    sources: tuple[LockedSource, ...] = ()

    def base_ref(self, repository: str) -> str:
        """What FROM names when the lock applies: REPOSITORY@sha256:..."""
        return f"{repository}@{self.base_digest}"


@dataclass(frozen=True)
class LockFile:
    """Every locked profile of one directory, by name."""

    profiles: tuple[LockedProfile, ...] = ()

    def get(self, name: str) -> LockedProfile | None:
        """The entry of one profile."""
        return next((p for p in self.profiles if p.name == name), None)

    def with_profile(self, entry: LockedProfile) -> LockFile:
        """This lock with one entry added or replaced, sorted by name."""
        others = [p for p in self.profiles if p.name != entry.name]
        return replace(self, profiles=tuple(sorted((*others, entry), key=lambda p: p.name)))


def parse_lock(text: str, file: str) -> LockFile:
    """Read a lock file strictly; every problem names file:line (exit code LOCK_INVALID)."""
    try:
        return _parse(Reader(load_yaml(text, file)))
    except LockInvalid:
        raise
    except EnvmanError as exc:
        raise LockInvalid(exc.message, exc.hint or "regenerate it with `envman lock`") from None


def _parse(r: Reader) -> LockFile:
    r.mapping((), ("envman-lock", "profiles"))
    version = r.expect(("envman-lock",), int)
    if version != LOCK_VERSION:
        raise r.fail(("envman-lock",), f"must be {LOCK_VERSION}", "regenerate it: envman lock")
    return LockFile(tuple(_profile(r, name) for name in sorted(r.mapping(("profiles",)))))


def _profile(r: Reader, name: str) -> LockedProfile:
    at = ("profiles", name)
    r.mapping(at, PROFILE_KEYS)
    r.mapping((*at, "base"), ("image", "digest"))
    files = []
    for path in r.mapping((*at, "files")):
        files.append((path, _checked(r, (*at, "files", path), _SHA256_RE, "a sha256 hex digest")))
    sources = []
    for index in range(len(r.expect((*at, "sources"), list) or [])):
        item = (*at, "sources", index)
        r.mapping(item, ("source", "ref", "commit"))
        sources.append(
            LockedSource(
                _required(r, (*item, "source")),
                _required(r, (*item, "ref")),
                _checked(r, (*item, "commit"), _COMMIT_RE, "a full commit id"),
            )
        )
    return LockedProfile(
        name,
        _checked(r, (*at, "content_hash"), _SHA256_RE, "a sha256 hex digest"),
        _required(r, (*at, "base", "image")),
        _checked(r, (*at, "base", "digest"), _DIGEST_RE, "sha256:<64 hex digits>"),
        tuple(files),
        tuple(sources),
    )


def _required(r: Reader, path: tuple[str | int, ...]) -> str:
    value = r.string(path)
    if not value:
        raise r.fail(path, "is missing")
    return value


def _checked(r: Reader, path: tuple[str | int, ...], pattern: re.Pattern[str], what: str) -> str:
    value = _required(r, path)
    if not pattern.match(value):
        raise r.fail(path, f"'{value}' is not {what}")
    return value


def render_lock(lock: LockFile) -> str:
    """The lock's text: keys sorted, one value per line, the same bytes for the same inputs."""
    data: dict[str, Any] = {
        "envman-lock": LOCK_VERSION,
        "profiles": {p.name: _profile_data(p) for p in lock.profiles},
    }
    return HEADER + yaml.safe_dump(data, sort_keys=True, default_flow_style=False, width=1000)


def _profile_data(p: LockedProfile) -> dict[str, Any]:
    data: dict[str, Any] = {
        "content_hash": p.content_hash,
        "base": {"image": p.base_image, "digest": p.base_digest},
        "files": dict(sorted(p.files)),
    }
    if p.sources:
        data["sources"] = [
            {"source": s.source, "ref": s.ref, "commit": s.commit}
            for s in sorted(p.sources, key=lambda s: s.source)
        ]
    return data
