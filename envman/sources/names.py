"""Team source names, refs, URLs and `SOURCE/PROFILE@REF` addresses: pure checks and parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from envman.errors import RefNotFound, SourceInvalid, SourceNameError
from envman.names import RULE, is_name
from envman.profile.resolver import format_of

# A ref is one argv word git reads as a revision: never an option, no revision syntax (~ ^ : @{).
REF_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._/+-]{0,254}$")
HEX_RE = re.compile(r"^[0-9a-f]{7,64}$")
FULL_HEX_RE = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_SCP_LIKE = re.compile(r"^[^/]+:")


@dataclass(frozen=True)
class Address:
    """`SOURCE/PROFILE` or `SOURCE/PROFILE@REF` (REF: a tag, branch or commit)."""

    source: str
    profile: str
    ref: str | None = None

    def __str__(self) -> str:
        return f"{self.source}/{self.profile}" + (f"@{self.ref}" if self.ref else "")


def check_source_name(name: str) -> str:
    """A source name becomes a directory name: the same rules as profile names."""
    if not is_name(name):
        raise SourceNameError(f"{name!r} is not a valid source name", RULE)
    return name


def check_ref(ref: str, source: str) -> str:
    """A ref that git can only read as a tag, branch or commit name (never as an option)."""
    parts = ref.split("/")
    bad = (
        not REF_RE.fullmatch(ref)
        or ".." in ref
        or any(not p or p.startswith(".") or p.endswith(".lock") for p in parts)
        or ref.endswith(".")
    )
    if bad:
        raise RefNotFound(
            f"'{ref}' is not a valid ref for source '{source}'",
            "give a tag, branch or commit: letters, digits, '.', '_', '-', '+' and '/'",
        )
    return ref


def parse_address(arg: str) -> Address | None:
    """`SOURCE/PROFILE[@REF]` when `arg` has that shape, else None (a name or a path)."""
    left, at, ref = arg.partition("@")
    source, slash, profile = left.partition("/")
    if not slash or "/" in profile:
        return None
    if not is_name(source) or not is_name(profile):
        return None
    if format_of(Path(profile)) is not None:  # team/box.yaml is a path
        return None
    return Address(source, profile, ref if at else None)


def check_url(url: str) -> str:
    """A URL git can only read as a repository address: no option, no remote helper."""
    if not url.strip() or url.startswith("-") or any(c < " " or c == "\x7f" for c in url):
        raise SourceInvalid(
            f"{url!r} is not a usable source URL", "give a git URL (https://, ssh://) or a path"
        )
    if "::" in url.split("://", 1)[0]:
        raise SourceInvalid(
            f"{url!r}: git remote helper URLs (TRANSPORT::ADDRESS) are not accepted",
            "give an https://, ssh://, git@host:path or file URL, or a path",
        )
    return url


def normalise_url(url: str, cwd: Path) -> str:
    """The URL git is given: remote URLs as written, local paths made absolute."""
    check_url(url)
    if "://" in url or _SCP_LIKE.match(url):
        return url
    return str((cwd / Path(url).expanduser()).resolve())
