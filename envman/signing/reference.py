"""Docker image references, normalised as containers/image does; matchRepoDigestOrExact."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_DOMAIN = "docker.io"
_LEGACY_DOMAIN = "index.docker.io"
_NAME_MAX = 255

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]*)"
_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    rf"((?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*)(?::({_TAG}))?(?:@({_DIGEST}))?", re.ASCII
)
_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}
_IDENTIFIER = re.compile(r"[a-f0-9]{64}")


class ReferenceInvalid(ValueError):
    """A string that is not a Docker image reference."""


@dataclass(frozen=True)
class Reference:
    """A normalised reference: `name` always has a domain (`docker.io/library/...` filled in)."""

    name: str
    tag: str | None = None
    digest: str | None = None

    def __str__(self) -> str:
        text = self.name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text

    @property
    def name_only(self) -> bool:
        """Neither a tag nor a digest."""
        return self.tag is None and self.digest is None


def parse_reference(text: str) -> Reference:
    """Parse like distribution's ParseNormalizedNamed: add docker.io and library/ where implied."""
    if _IDENTIFIER.fullmatch(text):
        raise ReferenceInvalid("a 64-digit hexadecimal string is an image ID, not a reference")
    domain, remainder = _split_domain(text)
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        raise ReferenceInvalid("the repository name must be lowercase")
    match = _REFERENCE.fullmatch(f"{domain}/{remainder}")
    if match is None:
        raise ReferenceInvalid("not of the form [REGISTRY/]REPOSITORY[:TAG][@DIGEST]")
    name, tag, digest = match.group(1), match.group(2), match.group(3)
    if len(name) > _NAME_MAX:
        raise ReferenceInvalid(f"the repository name is longer than {_NAME_MAX} characters")
    if digest is not None:
        _check_digest(digest)
    return Reference(name=name, tag=tag, digest=digest)


def with_default_tag(ref: Reference) -> Reference:
    """The reference a pull uses: `:latest` when it names neither a tag nor a digest."""
    return Reference(ref.name, "latest") if ref.name_only else ref


def identity_matches(wanted: Reference, signed_identity: str) -> bool:
    """matchRepoDigestOrExact: by tag the signed identity must be the same; by digest, the repo."""
    try:
        signed = parse_reference(signed_identity)
    except ReferenceInvalid:
        return False
    if signed.name_only:
        return False
    if wanted.tag is not None:
        return str(signed) == str(wanted)
    if wanted.digest is not None:
        return signed.name == wanted.name
    return False


def _split_domain(text: str) -> tuple[str, str]:
    head, slash, rest = text.partition("/")
    if not slash or (not any(c in head for c in ".:") and head != "localhost"):
        domain, remainder = DEFAULT_DOMAIN, text
    else:
        domain, remainder = head, rest
    if domain == _LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = f"library/{remainder}"
    return domain, remainder


def _check_digest(digest: str) -> None:
    algorithm, _, hex_part = digest.partition(":")
    length = _HEX_LENGTH.get(algorithm)
    if length is None:
        raise ReferenceInvalid(f"unsupported digest algorithm {algorithm!r}")
    if len(hex_part) != length or not re.fullmatch(r"[a-f0-9]+", hex_part):
        raise ReferenceInvalid(f"a {algorithm} digest is {length} lowercase hexadecimal digits")
