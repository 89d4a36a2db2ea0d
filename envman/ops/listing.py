"""Listing environments: one label query, kept light because `envman ls` must be quick."""

from __future__ import annotations

from dataclasses import dataclass

from envman.ops.address import recorded_address
from envman.ops.context import Context

MANAGED = {"envman.managed": "1"}
TEMP_SUFFIX = ".envman-new"
OLD_SUFFIX = ".envman-old"


@dataclass(frozen=True)
class EnvRow:
    """One line of `envman ls`."""

    name: str
    state: str
    version: str
    content_hash: str
    image: str
    created: str
    address: str  # the profile it was made from: its file or SOURCE/PROFILE@REF


def list_envs(ctx: Context) -> list[EnvRow]:
    """Every container envman manages (a label query), by name, with its profile's address."""
    rows = [
        EnvRow(
            c.name,
            c.state,
            c.labels.get("envman.version", ""),
            c.labels.get("envman.hash", "")[:12],
            c.image,
            c.created,
            recorded_address(ctx.paths, c.name, c) or "",
        )
        for c in ctx.engine().containers(MANAGED)
        if not c.name.endswith((TEMP_SUFFIX, OLD_SUFFIX))
    ]
    return sorted(rows, key=lambda r: r.name)
