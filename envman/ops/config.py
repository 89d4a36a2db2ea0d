"""Operations on the user's settings: base image overrides, generations kept, team registries."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from envman.errors import ProfileSchemaError, UsageError
from envman.host.config import Config, TeamRegistry, save_config
from envman.ops.context import Context
from envman.ops.keys import load_public_keys
from envman.profile.model import FileLine
from envman.profile.validate import check_image
from envman.registry.published import repository_for
from envman.render.podman_policy import PodmanPolicy, podman_policy


def set_image_override(ctx: Context, image: str, local: str) -> Config:
    """Build profiles based on `image` from `local` instead (e.g. an offline bootstrap)."""
    _image_argument(image, "IMAGE")
    _image_argument(local, "LOCAL_IMAGE")
    config = replace(ctx.config, image_overrides={**ctx.config.image_overrides, image: local})
    save_config(ctx.paths.config_file, config)
    return config


def _image_argument(value: str, name: str) -> None:
    """An image given on the command line: a bad one is a usage error, not a profile's."""
    try:
        check_image(value, FileLine("command line"), name)
    except ProfileSchemaError as exc:
        raise UsageError(exc.message, exc.hint) from None


def set_keep_generations(ctx: Context, keep: int) -> Config:
    """How many generations `envman gc` keeps per environment (pinned ones come on top)."""
    if keep < 1:
        raise UsageError(
            f"keep_generations must be at least 1, not {keep}", "1 keeps only the current one"
        )
    config = replace(ctx.config, keep_generations=keep)
    save_config(ctx.paths.config_file, config)
    return config


def unset_image_override(ctx: Context, image: str) -> Config:
    """Drop an override."""
    overrides = dict(ctx.config.image_overrides)
    if overrides.pop(image, None) is None:
        raise UsageError(f"no override for {image}", "see `envman config show`")
    config = replace(ctx.config, image_overrides=overrides)
    save_config(ctx.paths.config_file, config)
    return config


def add_registry(ctx: Context, registry: str, keys: list[Path]) -> TeamRegistry:
    """Trust `keys` for the team images under `registry` (HOST[:PORT]/NAMESPACE); `up` pulls them.

    The keys are checked now (a file that is not a cosign public key is refused); adding a
    registry again replaces its keys.
    """
    if not keys:
        raise UsageError(f"no key for {registry}", "give --key PUBFILE (the team's public key)")
    repository_for(registry, "x")  # RegistryError for a malformed HOST[:PORT]/NAMESPACE
    load_public_keys(keys)
    entry = TeamRegistry(registry.rstrip("/"), tuple(str(k.resolve()) for k in keys))
    others = tuple(t for t in ctx.config.registries if t.registry != entry.registry)
    save_config(ctx.paths.config_file, replace(ctx.config, registries=(*others, entry)))
    return entry


def remove_registry(ctx: Context, registry: str) -> None:
    """Stop pulling team images from `registry`."""
    kept = tuple(t for t in ctx.config.registries if t.registry != registry.rstrip("/"))
    if len(kept) == len(ctx.config.registries):
        raise UsageError(f"no registry {registry} in the settings", "see `envman config show`")
    save_config(ctx.paths.config_file, replace(ctx.config, registries=kept))


def podman_trust(ctx: Context) -> PodmanPolicy:
    """The policy.json and registries.d snippets for the configured team registries."""
    if not ctx.config.registries:
        raise UsageError(
            "no team registry is configured",
            "add one: envman config registry add HOST[:PORT]/NAMESPACE --key PUBFILE",
        )
    return podman_policy({t.registry: t.keys for t in ctx.config.registries})
