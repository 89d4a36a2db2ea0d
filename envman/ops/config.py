"""Operations on the user's settings: base image overrides."""

from __future__ import annotations

from dataclasses import replace

from envman.errors import ProfileSchemaError, UsageError
from envman.host.config import Config, save_config
from envman.ops.context import Context
from envman.profile.model import FileLine
from envman.profile.validate import check_image


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
