"""Reading a registry's `WWW-Authenticate` challenge (Basic, or Bearer with realm/service/scope)."""

from __future__ import annotations

import re
from typing import NamedTuple

_PARAM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?')


class Challenge(NamedTuple):
    """What a 401 asked for: `scheme` is `basic` or `bearer`; params are lower-cased keys."""

    scheme: str
    params: dict[str, str]


def parse_challenge(header: str | None) -> Challenge | None:
    """The first Basic or Bearer challenge in a `WWW-Authenticate` value, or None."""
    if not header:
        return None
    scheme, _, rest = header.strip().partition(" ")
    scheme = scheme.lower()
    if scheme not in ("basic", "bearer"):
        return None
    params: dict[str, str] = {}
    for match in _PARAM.finditer(rest):
        quoted, bare = match.group(2), match.group(3)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare or ""
        params[match.group(1).lower()] = value
    return Challenge(scheme, params)
