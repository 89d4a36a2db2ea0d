"""A Containerfile as an envman Profile: base image, version and description from its labels."""

from __future__ import annotations

from pathlib import PurePosixPath

from envman.profile import validate as v
from envman.profile.boundary import parse_failures
from envman.profile.containerfile.scope import key_values
from envman.profile.containerfile.stages import Containerfile, end_scope, parse_containerfile, walk
from envman.profile.model import FileLine, Profile

VERSION_LABELS = ("version", "org.opencontainers.image.version")
DESCRIPTION_LABELS = ("summary", "description", "org.opencontainers.image.description")
TOOLBOX_LABELS = ("com.github.containers.toolbox", "com.github.debarshiray.toolbox")


def read_containerfile_profile(text: str, file: str, default_name: str) -> Profile:
    """A Containerfile as a Profile that builds the file as written."""
    cf = parse_containerfile(text, file)
    with parse_failures(file, "a Containerfile"):
        return _profile(cf, file, default_name)


def _profile(cf: Containerfile, file: str, default_name: str) -> Profile:
    origin = FileLine(file, 1)
    labels = end_scope(cf).labels
    basename = PurePosixPath(file).name or "Containerfile"
    lines = _label_lines(cf)
    version_label = _first_label(labels, VERSION_LABELS)
    description_label = _first_label(labels, DESCRIPTION_LABELS)
    locations = {
        "name": FileLine(file),
        "image": FileLine(file, cf.chain()[0].line),
        "build.containerfile": FileLine(file),
    }
    for key, label in (("version", version_label), ("description", description_label)):
        if label is not None:
            locations[key] = FileLine(file, lines.get(label, 0))
    return Profile(
        name=v.check_name(default_name, origin),
        origin=origin,
        version=_label_text(labels, version_label, origin),
        description=_label_text(labels, description_label, origin),
        image=cf.image,
        containerfile=v.check_relative_path(basename, origin, "containerfile"),
        format="containerfile",
        locations=locations,
    )


def _first_label(labels: dict[str, str], keys: tuple[str, ...]) -> str | None:
    return next((key for key in keys if labels.get(key, "").strip()), None)


def _label_text(labels: dict[str, str], key: str | None, origin: FileLine) -> str | None:
    if key is None:
        return None
    return v.check_text(labels[key].strip(), origin, f"LABEL {key}")


def _label_lines(cf: Containerfile) -> dict[str, int]:
    """The line of the LABEL instruction that last set each label along the final stage chain."""
    chain = {stage.index for stage in cf.chain()}
    lines: dict[str, int] = {}
    for stage, ins, scope in walk(cf):
        if stage.index in chain and ins.keyword == "LABEL":
            lines.update((key, ins.line) for key, _ in key_values(ins, scope, cf.file))
    return lines
