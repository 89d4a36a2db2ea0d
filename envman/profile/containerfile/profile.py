"""A Containerfile as an envman Profile: base image, version and description from its labels."""

from __future__ import annotations

from pathlib import PurePosixPath

from envman.profile import validate as v
from envman.profile.containerfile.stages import end_scope, parse_containerfile
from envman.profile.model import Origin, Profile

VERSION_LABELS = ("version", "org.opencontainers.image.version")
DESCRIPTION_LABELS = ("summary", "description", "org.opencontainers.image.description")
TOOLBOX_LABELS = ("com.github.containers.toolbox", "com.github.debarshiray.toolbox")


def read_containerfile_profile(text: str, file: str, default_name: str) -> Profile:
    """A Containerfile as a Profile that builds the file as written."""
    cf = parse_containerfile(text, file)
    origin = Origin(file, 1)
    labels = end_scope(cf).labels
    basename = PurePosixPath(file).name or "Containerfile"
    return Profile(
        name=v.check_name(default_name, origin),
        origin=origin,
        version=_first_label(labels, VERSION_LABELS, origin),
        description=_first_label(labels, DESCRIPTION_LABELS, origin),
        image=cf.image,
        containerfile=v.check_relative_path(basename, origin, "containerfile"),
        format="containerfile",
    )


def _first_label(labels: dict[str, str], keys: tuple[str, ...], origin: Origin) -> str | None:
    for key in keys:
        value = labels.get(key, "").strip()
        if value:
            return v.check_text(value, origin, f"LABEL {key}")
    return None
