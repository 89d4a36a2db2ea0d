"""The layers a Containerfile makes, keyed by instruction and copied content (for dry runs)."""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Mapping, Sequence

Layer = tuple[str, str]


def instructions(containerfile: str) -> list[str]:
    """Logical instructions: comments and blank lines dropped, continuation lines joined."""
    out: list[str] = []
    pending = ""
    for raw in containerfile.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        out.append(pending + line)
        pending = ""
    if pending:
        out.append(pending.strip())
    return out


def layer_keys(containerfile: str, files: Mapping[str, tuple[bytes, int]]) -> list[Layer]:
    """(instruction, digest of what it copies) for every instruction; "" for non-COPY ones."""
    return [(text, _copied_digest(text, files)) for text in instructions(containerfile)]


def _copied_digest(text: str, files: Mapping[str, tuple[bytes, int]]) -> str:
    words = text.split(None, 1)
    if not words or words[0].upper() not in ("COPY", "ADD") or len(words) < 2:
        return ""
    try:
        sources = [w for w in shlex.split(words[1]) if not w.startswith("--")][:-1]
    except ValueError:
        return ""
    digest = hashlib.sha256()
    for path in sorted(files):
        if any(path == s or (s.endswith("/") and path.startswith(s)) for s in sources):
            data, mode = files[path]
            digest.update(f"{path}\0{mode}\0".encode() + hashlib.sha256(data).digest())
    return digest.hexdigest()[:16]


def changed_layers(old: Sequence[Layer], new: Sequence[Layer]) -> tuple[int, list[str]]:
    """How many leading layers a build reuses, and the instructions it runs again."""
    reused = 0
    for before, after in zip(old, new, strict=False):
        if before != after:
            break
        reused += 1
    return reused, [text for text, _ in new[reused:]]
