"""Parsing and checking `HOST[:PORT]/NAMESPACE/REPO`, tags and digests before they reach a URL."""

from __future__ import annotations

import re
from typing import NamedTuple

from envman.errors import RegistryError

# The distribution spec's grammar for repository path components, tags and sha256 digests.
_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_NAME = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?)+|\[[0-9a-fA-F:.]+\]"
_HOST = re.compile(rf"(?:{_NAME})(?::[0-9]{{1,5}})?")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


class Repository(NamedTuple):
    """A repository on a registry: `host` is `HOST[:PORT]`, `path` is `NAMESPACE/REPO`."""

    host: str
    path: str

    def __str__(self) -> str:
        return f"{self.host}/{self.path}"


def parse_repository(text: str) -> Repository:
    """`HOST[:PORT]/NAMESPACE/REPO` split into host and path, or a RegistryError naming it."""
    host, _, path = text.partition("/")
    looks_like_host = "." in host or ":" in host or host == "localhost"
    if not (looks_like_host and _HOST.fullmatch(host) and path):
        raise RegistryError(
            f"not a registry repository: {text!r}",
            "write it as HOST[:PORT]/NAMESPACE/REPO, e.g. registry.example.com/team/images",
        )
    check_path(path)
    return Repository(host, path)


def check_path(path: str) -> str:
    """`path` if every component is lower-case letters, digits and single separators."""
    if not all(_COMPONENT.fullmatch(part) for part in path.split("/")):
        raise RegistryError(
            f"not a registry repository path: {path!r}",
            "use lower-case letters, digits, `.`, `_`, `-` between `/`-separated names",
        )
    return path


def is_digest(ref: str) -> bool:
    """Whether `ref` is a `sha256:` digest."""
    return _DIGEST.fullmatch(ref) is not None


def check_digest(digest: str) -> str:
    """`digest` if it is `sha256:` and 64 lower-case hex digits."""
    if not is_digest(digest):
        raise RegistryError(f"not a sha256 digest: {digest!r}", "digests look like sha256:<64 hex>")
    return digest


def check_reference(ref: str) -> str:
    """`ref` if it is a valid tag or a sha256 digest."""
    if not (is_digest(ref) or _TAG.fullmatch(ref)):
        raise RegistryError(
            f"not a tag or digest: {ref!r}",
            "tags are letters, digits, `.`, `_`, `-` (up to 128); digests are sha256:<64 hex>",
        )
    return ref


def split_host_port(host: str) -> tuple[str, int]:
    """`HOST[:PORT]` as a host name and a port (443 when none is given)."""
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        return name, int(rest[1:]) if rest.startswith(":") else 443
    name, _, port = host.partition(":")
    return name, int(port) if port else 443
