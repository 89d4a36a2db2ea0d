"""`envman upgrade`: bring an environment's packages up to date, as `distrobox upgrade` does.

Not by upgrading inside the container (that drifts from the image): the image is built again
without podman's layer cache, so the package steps read fresh indexes, from a base pulled anew
where it comes from a registry. Then the ordinary swap: a new generation, `rollback` goes back.
"""

from __future__ import annotations

from dataclasses import dataclass

from envman.ops.address import env_address
from envman.ops.context import Context
from envman.ops.envs import UpResult, existing_container, up
from envman.ops.lockfile import resolve_for_up
from envman.registry.probe import check_reachable, registry_host
from envman.render.layers import base_images, layer_keys


@dataclass(frozen=True)
class Upgraded:
    """What `upgrade` did to one environment: the base it pulled or kept, and up's result."""

    name: str
    pulled: tuple[str, ...]
    kept_local: tuple[str, ...]
    result: UpResult


def bases_to_pull(bases: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The bases pulled anew and the local-only ones kept (nothing is pulled when one is local:
    podman's build pulls every base or none)."""
    local = tuple(b for b in bases if registry_host(b) is None)
    return ((), local) if local else (tuple(bases), ())


def upgrade(ctx: Context, name: str) -> Upgraded:
    """Rebuild the environment `name` from its own profile without the layer cache, pulling its
    registry base first (checked reachable first: offline fails at once, exit 7)."""
    engine = ctx.engine()
    address = env_address(ctx.paths, name, existing_container(ctx, engine, name))
    resolved = resolve_for_up(ctx, address)
    pulled, kept = bases_to_pull(
        base_images(layer_keys(resolved.plan.containerfile, resolved.plan.files))
    )
    for host in dict.fromkeys(h for b in pulled if (h := registry_host(b))):
        check_reachable(host)
    if kept:
        ctx.notify(f"{name}: kept the local base {', '.join(kept)} (no registry to pull it from)")
    result = up(ctx, address, no_cache=True, pull=bool(pulled))
    return Upgraded(result.name, pulled, kept, result)
