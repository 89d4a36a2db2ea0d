"""Removing envman's images: only its own tags, never forced, never from under a container."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from envman.engine.types import ContainerInfo, Engine, ImageInfo
from envman.errors import ContainerFailed


@dataclass(frozen=True)
class Released:
    """What became of one image envman made: removed, or kept and why."""

    image_id: str
    removed: bool
    reason: str = ""


def repository(env: str) -> str:
    """The repository of every tag envman gives an environment's images."""
    return f"localhost/envman/{env}"


def own_tags(image: ImageInfo, env: str) -> list[str]:
    """The tags envman gave this image for `env` (the user's own tags are not among them)."""
    prefix = repository(env) + ":"
    return [t for t in image.tags if t.startswith(prefix)]


def owned_images(engine: Engine, env: str, recorded_ids: Iterable[str]) -> list[ImageInfo]:
    """Images envman made for `env`: tagged in its repository, or recorded in its history/state.

    Labels are not evidence: an image built FROM an envman image inherits them.
    """
    recorded = {i for i in recorded_ids if i}
    return [i for i in engine.images({}) if own_tags(i, env) or i.id in recorded]


def users(containers: Iterable[ContainerInfo], image_id: str, ignore: set[str]) -> list[str]:
    """Names of containers (other than `ignore` ids) created from the image."""
    return sorted(
        c.name for c in containers if _same_id(c.image_id, image_id) and c.id not in ignore
    )


def release(
    engine: Engine, image: ImageInfo, env: str, containers: list[ContainerInfo], ignore: set[str]
) -> Released:
    """Remove envman's tags of `image` and so the image, unless another container still uses it."""
    holders = users(containers, image.id, ignore)
    if holders:
        return Released(image.id, False, "used by container(s) " + ", ".join(holders))
    tags = own_tags(image, env)
    try:
        for tag in tags:
            engine.remove_image(tag)
        if not tags:
            engine.remove_image(image.id)
    except ContainerFailed as exc:
        return Released(image.id, False, exc.message)
    others = [t for t in image.tags if t not in tags]
    if others and all("@sha256:" in name for name in others) and engine.image(image.id):
        # A pulled team image: podman names it by the digest envman pulled; nothing else has it.
        try:
            engine.remove_image(image.id, force=True)
        except ContainerFailed as exc:
            return Released(image.id, False, exc.message)
    if engine.image(image.id) is not None:
        why = "also tagged " + ", ".join(others) if others else "podman kept it"
        return Released(image.id, False, why)
    return Released(image.id, True)


def _same_id(a: str, b: str) -> bool:
    a, b = a.removeprefix("sha256:"), b.removeprefix("sha256:")
    return bool(a and b) and (a.startswith(b) or b.startswith(a))
