"""The user's envman settings file: base image overrides for hosts that cannot reach a registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from envman.errors import ProfileSyntaxError
from envman.host.files import write_atomic
from envman.profile.located import load_yaml
from envman.profile.reader import Reader
from envman.profile.validate import check_image


@dataclass(frozen=True)
class ConfigKey:
    """One key of config.yaml, declared once: the reader, `config show` and docs/reference.md."""

    name: str
    kind: str  # as the reference names it: map, int
    default: str
    command: str  # the `envman config` command that sets it
    doc: str


KEYS = (
    ConfigKey(
        "image_overrides",
        "map",
        "{}",
        "envman config image-override IMAGE LOCAL_IMAGE [--unset]",
        "IMAGE: LOCAL_IMAGE pairs: profiles (and Containerfile FROM lines) based on IMAGE are built"
        " from LOCAL_IMAGE, e.g. on a host that cannot reach a registry",
    ),
    ConfigKey(
        "keep_generations",
        "int",
        "2",
        "envman config keep-generations N",
        "generations `envman gc` keeps per environment, at least 1 (pinned ones on top)",
    ),
)


@dataclass(frozen=True)
class Config:
    """Settings read from $XDG_CONFIG_HOME/envman/config.yaml."""

    image_overrides: dict[str, str] = field(default_factory=dict)
    keep_generations: int = 2

    def base_image(self, image: str) -> str:
        """The image to build from: the override for `image` when there is one."""
        return self.image_overrides.get(image, image)


def load_config(path: Path) -> Config:
    """Read the settings file; a missing file means defaults."""
    if not path.is_file():
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileSyntaxError(f"{path}: cannot read: {exc}") from None
    r = Reader(load_yaml(text, str(path)))
    r.mapping((), tuple(key.name for key in KEYS))
    overrides: dict[str, str] = {}
    for key in r.mapping(("image_overrides",)):
        origin = r.origin(("image_overrides", key))
        check_image(key, origin, f"image_overrides.{key}")
        value = r.string(("image_overrides", key), check_image)
        overrides[key] = value or ""
    keep = r.expect(("keep_generations",), int)
    if keep is not None and keep < 1:
        raise r.fail(("keep_generations",), "must be at least 1 (the current generation)")
    return Config(overrides, 2 if keep is None else keep)


def save_config(path: Path, config: Config) -> None:
    """Write the settings file atomically, keys sorted."""
    data: dict[str, object] = {"image_overrides": dict(sorted(config.image_overrides.items()))}
    if config.keep_generations != Config().keep_generations:
        data["keep_generations"] = config.keep_generations
    write_atomic(path, yaml.safe_dump(data, sort_keys=False, default_flow_style=False))
