"""Where a team image lives: `REGISTRY/NAMESPACE/PROFILE:<content hash>` plus a moving version tag.

Publish (CI) and pull (laptops) both name images with these functions, so they always agree.
"""

from __future__ import annotations

import re

from envman.registry.address import Repository, check_path, parse_repository

_UNSAFE = re.compile(r"[^a-z0-9._-]+")
_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def repository_for(registry: str, profile: str) -> Repository:
    """`HOST[:PORT]/NAMESPACE` and a profile name -> the repository its images go to."""
    base = parse_repository(registry.rstrip("/") + "/x")
    namespace = base.path.rpartition("/")[0]
    repo = _UNSAFE.sub("-", profile.lower()).strip("-._") or "profile"
    path = f"{namespace}/{repo}" if namespace else repo
    return Repository(base.host, check_path(path))


def hash_tag(content_hash: str) -> str:
    """The tag naming a content hash (the hex digest `render` computes, without a prefix)."""
    digest = content_hash.removeprefix("sha256:")
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ValueError(f"not a content hash: {content_hash!r}")
    return digest


def version_tag(version: str | None) -> str | None:
    """The moving tag for a profile's `version` (None when it has none or nothing tag-safe)."""
    if not version:
        return None
    tag = _TAG_UNSAFE.sub("-", version).lstrip(".-")[:128]
    return tag or None
