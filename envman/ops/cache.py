"""podman's layer cache for an environment: the plan up builds, and the steps it reuses."""

from __future__ import annotations

from envman.engine.types import Engine
from envman.errors import EnvmanError
from envman.history import History
from envman.render.containerfile import BuildPlan
from envman.render.layers import (
    Layer,
    base_images,
    changed_layers,
    layer_keys,
    package_layers,
    split_packages,
)


def build_plan(engine: Engine, history: History, plan: BuildPlan, *, no_cache: bool) -> BuildPlan:
    """What up builds: the profile's plan, its packages split as the image in use was built.

    The current generation's package steps are in podman's cache while its image exists.
    """
    current = history.get(history.current)
    if no_cache or current is None or engine.image(current.image) is None:
        return plan
    return split_packages(plan, package_layers(current.layers))


def plan_layers(engine: Engine, plan: BuildPlan) -> tuple[Layer, ...]:
    """The plan's steps, each FROM keyed by its base image's id (a new base reuses nothing)."""
    keys = layer_keys(plan.containerfile, plan.files)
    ids = {base: found for base in base_images(keys) if (found := _image_id(engine, base))}
    return tuple(layer_keys(plan.containerfile, plan.files, ids))


def _image_id(engine: Engine, ref: str) -> str:
    """An image's id, or "" when podman cannot say (then nothing counts as reused after it)."""
    try:
        info = engine.image(ref)
    except EnvmanError:  # podman 4.3 can fail an inspect while another client removes images
        return ""
    return info.id if info else ""


def layers_of(history: History, image_id: str) -> tuple[Layer, ...] | None:
    """The steps an existing image was built with, as its generation recorded them."""
    return next((g.layers for g in history.generations if g.image_id == image_id), None)


def cache_reuse(
    engine: Engine, history: History, layers: tuple[Layer, ...]
) -> tuple[int, list[str]]:
    """The steps podman takes from its cache: the most any kept generation's image left there."""
    best: tuple[int, list[str]] = changed_layers((), layers)
    for generation in history.generations:
        if engine.image(generation.image) is None:
            continue
        found = changed_layers(generation.layers, layers)
        if found[0] > best[0]:
            best = found
    return best
