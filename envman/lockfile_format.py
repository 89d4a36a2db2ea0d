"""envman.lock: the exact inputs of profiles (base digest, files, source commits)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any

import yaml

from envman.errors import EnvmanError, LockInvalid
from envman.profile.keys import runtime_groups
from envman.profile.located import load_yaml
from envman.profile.model import Profile
from envman.profile.reader import Reader

LOCK_NAME = "envman.lock"
LOCK_VERSION = 2
HEADER = (
    "# envman.lock: the exact inputs of the profiles beside it. Written by `envman lock` and\n"
    "# `envman update`; review it in merge requests like the profiles themselves.\n"
)
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_COMMIT_RE = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
PROFILE_KEYS = ("content_hash", "base", "files", "runtime", "sources", "published")
_PUBLISHED_RE = re.compile(r"^[^@\s]+@sha256:[0-9a-f]{64}$")
# The profile's settings that shape the container, not the image; `hooks` are the create and host
# hooks (build and start hooks are in the image, so in its content hash).
RUNTIME_KEYS = runtime_groups()  # the top-level keys with settings that change the container


class OldLock(LockInvalid):
    """A lock of an older format: refused for builds, replaced by `envman lock`."""


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
    base_override: str = ""  # the local image-override the digest is of, on the locking machine
    runtime: tuple[tuple[str, str], ...] = ()  # RUNTIME_KEYS -> sha256 of their settings
    published: str = ""  # the team registry's image of this content hash: REPOSITORY@sha256:...

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
    if version is not None and version < LOCK_VERSION:
        problem = r.fail(("envman-lock",), f"must be {LOCK_VERSION}")
        raise OldLock(f"{problem}: an older envman wrote it", "write it again with `envman lock`")
    if version != LOCK_VERSION:
        raise r.fail(
            ("envman-lock",),
            f"must be {LOCK_VERSION}",
            "a newer envman wrote it: install that envman",
        )
    return LockFile(tuple(_profile(r, name) for name in sorted(r.mapping(("profiles",)))))


def _profile(r: Reader, name: str) -> LockedProfile:
    at = ("profiles", name)
    r.mapping(at, PROFILE_KEYS)
    r.mapping((*at, "base"), ("image", "digest", "override"))
    files = []
    for path in r.mapping((*at, "files")):
        files.append((path, _checked(r, (*at, "files", path), _SHA256_RE, "a sha256 hex digest")))
    runtime = []
    for key in r.mapping((*at, "runtime"), RUNTIME_KEYS):
        runtime.append((key, _checked(r, (*at, "runtime", key), _SHA256_RE, "a sha256 hex digest")))
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
        r.string((*at, "base", "override")) or "",
        tuple(runtime),
        _published(r, (*at, "published")),
    )


def _published(r: Reader, path: tuple[str | int, ...]) -> str:
    """The optional `published: REPOSITORY@sha256:...` of a profile."""
    if r.string(path) is None:
        return ""
    return _checked(r, path, _PUBLISHED_RE, "REPOSITORY@sha256:<64 hex digits>")


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
    base = {"image": p.base_image, "digest": p.base_digest}
    if p.base_override:
        base["override"] = p.base_override
    data: dict[str, Any] = {
        "content_hash": p.content_hash,
        "base": base,
        "files": dict(sorted(p.files)),
        "runtime": dict(sorted(p.runtime)),
    }
    if p.sources:
        data["sources"] = [
            {"source": s.source, "ref": s.ref, "commit": s.commit}
            for s in sorted(p.sources, key=lambda s: s.source)
        ]
    if p.published:
        data["published"] = p.published
    return data


def runtime_digests(profile: Profile) -> tuple[tuple[str, str], ...]:
    """sha256 of each runtime setting of a resolved profile, machine-independent (no origins)."""
    values: dict[str, Any] = {key: getattr(profile, key) for key in RUNTIME_KEYS if key != "hooks"}
    values["hooks"] = [h for h in profile.hooks if h.when in ("create", "host")]
    return tuple(
        (key, hashlib.sha256(json.dumps(_plain(values[key]), sort_keys=True).encode()).hexdigest())
        for key in RUNTIME_KEYS
    )


def _plain(value: Any) -> Any:
    """JSON-ready data: dataclasses by their compared fields (origins are not settings)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value) if f.compare}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def runtime_changes(entry: LockedProfile, now: tuple[tuple[str, str], ...]) -> list[str]:
    """The runtime settings whose digest differs from the lock's (all of them if it has none)."""
    locked = dict(entry.runtime)
    if not locked:
        return [key for key, _ in now]
    return [key for key, digest in now if locked.get(key, _UNSET) != digest]


# A setting declared after a lock was written was unset then: unset now is no change.
_UNSET = hashlib.sha256(json.dumps(None).encode()).hexdigest()


def override_mismatch(entry: LockedProfile, here: str) -> str | None:
    """Why the lock's base does not apply on this machine's image override `here`, if it does not.

    A digest locked from a local override is the override's: without the same override another
    machine would look for it under the profile's image and find a different one, or none.
    """
    if here == entry.base_override:
        return None
    image = entry.base_image
    if not here:
        return (
            f"the lock was written from {entry.base_override} (a local override of {image}), "
            "which this machine does not have"
        )
    if not entry.base_override:
        return f"the lock is of {image} itself, which this machine overrides with {here}"
    return (
        f"the lock was written from {entry.base_override} (a local override of {image}); "
        f"here {image} is overridden with {here}"
    )
