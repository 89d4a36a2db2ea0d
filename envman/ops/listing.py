"""Listing environments: one label query, kept light because `envman ls` must be quick.

Ownership is decided from what envman sets at `podman create` (the `envman.env` label, which no
image carries) and from envman's own records, never from labels a container inherits from an
image: a container `toolbox create --image` made from an envman image is not envman's.
"""

from __future__ import annotations

from dataclasses import dataclass

from envman.engine.types import ContainerInfo
from envman.ops.address import recorded_address
from envman.ops.context import Context

MANAGED = {"envman.managed": "1"}
OWNER_LABEL = "envman.env"  # set on containers at create, never on images
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


def base_name(container_name: str) -> str:
    """The environment a container name belongs to (the swap's temporary names included)."""
    for suffix in (TEMP_SUFFIX, OLD_SUFFIX):
        if container_name.endswith(suffix):
            return container_name.removesuffix(suffix)
    return container_name


def owns(container: ContainerInfo, name: str, recorded_id: str = "") -> bool:
    """Whether envman created `container` for `name` (its create-time label, or a record)."""
    if recorded_id and container.id == recorded_id:
        return True
    return container.labels.get(OWNER_LABEL) == name and base_name(container.name) == name


def owned_containers(ctx: Context) -> list[ContainerInfo]:
    """Every container envman created, its swap leftovers included, and those it took over."""
    found = ctx.engine().containers({OWNER_LABEL: ""})
    owned = [c for c in found if owns(c, base_name(c.name))]
    return owned + recorded_containers(ctx, {c.id for c in owned})


def recorded_containers(ctx: Context, known: set[str]) -> list[ContainerInfo]:
    """Containers only envman's records make its own (`adopt --take-over`): no label says so.

    Records of labelled containers name ids in `known` and cost no look-up; a damaged record is
    left to the commands that read it (they name it).
    """
    from envman.errors import StateCorrupt
    from envman.names import is_name
    from envman.state import load_state

    folder = ctx.paths.state / "envs"
    names = sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
    found = []
    for name in filter(is_name, names):
        try:
            state = load_state(ctx.paths, name)
        except StateCorrupt:
            continue
        if state is None or not state.container_id or state.container_id in known:
            continue
        container = ctx.engine().container(state.container_id)
        if container is not None and container.name == name:
            found.append(container)
    return found


def repair_pending(ctx: Context) -> list[str]:
    """Finish or undo swaps a crash left half-done, where no other envman is at work on them."""
    folder = ctx.paths.state / "journal"
    if not folder.is_dir() or not any(folder.iterdir()):
        return []
    from envman.errors import Busy
    from envman.host.writer_locks import env_lock, hold
    from envman.journal import pending
    from envman.ops.swap import repair

    done = []
    for name in pending(ctx.paths):
        try:
            with hold(env_lock(ctx.paths, name), name, wait=0):
                done.append(repair(ctx, ctx.engine(), name))
        except Busy:  # a swap under way: list what is there now
            continue
    return [d for d in done if d]


def list_envs(ctx: Context) -> list[EnvRow]:
    """Every environment envman created, by name, with the address of its profile; a swap
    under way shows its old container."""
    for repaired in repair_pending(ctx):
        ctx.notify(repaired)
    by_env: dict[str, ContainerInfo] = {}
    for container in owned_containers(ctx):
        env = base_name(container.name)
        if container.name == env or (env not in by_env and container.name == env + OLD_SUFFIX):
            by_env[env] = container
    rows = [
        EnvRow(
            env,
            c.state if c.name == env else f"{c.state} (swap under way)",
            c.labels.get("envman.version", ""),
            c.labels.get("envman.hash", "")[:12],
            c.image,
            c.created,
            recorded_address(ctx.paths, env, c) or "",
        )
        for env, c in by_env.items()
    ]
    return sorted(rows, key=lambda r: r.name)
