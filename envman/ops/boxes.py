"""Boxes made from just an image (`up --image`), and throwaway ones (`ephemeral`).

An image box is a profile like any other: envman writes it (`envman: 1`, `name`, `image`) under
its state directory, `$XDG_STATE_HOME/envman/boxes/NAME/NAME.yaml`, and `up` records that file as
the environment's address. So `up NAME`, `status`, `ls`, `rm`, `upgrade` and the one plan of
`envman.ops.plan` treat it as they treat every environment; `rm` deletes the file with the rest.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from envman.errors import EnvmanError, EnvNotFound, ProfileMoved, UsageError
from envman.host.files import write_atomic
from envman.names import RULE, is_name
from envman.ops.address import recorded_address, same_profile
from envman.ops.context import Context
from envman.paths import Paths
from envman.profile.model import FileLine
from envman.profile.validate import check_image

if TYPE_CHECKING:
    from envman.ops.envs import Removed

EPHEMERAL_PREFIX = "ephemeral-"
T = TypeVar("T")


def box_file(paths: Paths, name: str) -> Path:
    """Where envman keeps the profile it wrote for the box `name` (one directory per box, so an
    include by name never finds another box's file)."""
    return paths.state / "boxes" / name / f"{name}.yaml"


def box_text(name: str, *, image: str = "", include: str = "") -> str:
    """The profile of a box: the image, or the profile it includes (JSON strings are YAML)."""
    lines = ["# written by envman: a box made from an image; `envman rm` removes it", "envman: 1"]
    lines.append(f"name: {json.dumps(name)}")
    if image:
        lines.append(f"image: {json.dumps(image)}")
    if include:
        lines.append(f"include: [{json.dumps(include)}]")
    return "\n".join(lines) + "\n"


def check_box_name(name: str) -> str:
    """A box name is an environment name (it becomes a container and a directory)."""
    if not is_name(name):
        raise UsageError(f"{name!r} is not an environment name", RULE)
    return name


def image_box(paths: Paths, name: str, image: str, *, replace_profile: bool = False) -> Path:
    """Write (or keep as it is) the profile of the environment `name` made from `image`.

    Refuses, as `up` does, to turn an environment made from a profile into an image box
    without `replace_profile`.
    """
    check_box_name(name)
    check_image(image, FileLine("--image"))
    file = box_file(paths, name)
    recorded = recorded_address(paths, name)
    if recorded is not None and not same_profile(recorded, str(file)) and not replace_profile:
        raise ProfileMoved(
            f"environment '{name}' was made from {recorded}, not from an image",
            f"`envman up {name}` updates it; `envman up --image {image} {name} --replace` "
            "remakes it from the image",
        )
    text = box_text(name, image=image)
    if not file.is_file() or file.read_text(encoding="utf-8") != text:
        file.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(file, text)
    return file


def up_image(
    ctx: Context,
    name: str,
    image: str,
    up_one: Callable[[str], T],
    *,
    replace_profile: bool = False,
) -> T:
    """`up --image IMAGE NAME`: the image box's profile, then the ordinary `up` of it.

    A box that never came up leaves no file behind.
    """
    new = recorded_address(ctx.paths, check_box_name(name)) is None
    file = image_box(ctx.paths, name, image, replace_profile=replace_profile)
    try:
        return up_one(str(file))
    except BaseException:
        if new and recorded_address(ctx.paths, name) is None:
            forget_box(ctx.paths, name)
        raise


def forget_box(paths: Paths, name: str, *, dry_run: bool = False) -> tuple[str, ...]:
    """Delete the profile envman wrote for a box (nothing for other environments)."""
    file = box_file(paths, name)
    if not file.is_file():
        return ()
    if not dry_run:
        file.unlink()
        with contextlib.suppress(OSError):  # only when empty: nothing else is removed
            file.parent.rmdir()
    return (str(file),)


@dataclass(frozen=True)
class Throwaway:
    """A box made for one command: its name and the profile envman wrote for it."""

    name: str
    file: Path


def new_throwaway(ctx: Context, *, image: str = "", profile: str = "") -> Throwaway:
    """Write the profile of a new throwaway box (a fresh name no container has).

    From an image, or including a profile found by name in the lookup order.
    """
    if bool(image) == bool(profile):
        raise UsageError("ephemeral: give --image IMAGE or a PROFILE name", "envman ephemeral -h")
    if image:
        check_image(image, FileLine("--image"))
    elif not is_name(profile):
        raise UsageError(
            f"ephemeral: {profile!r} is not a profile name",
            "name a profile of the lookup order (see `envman profile list`)",
        )
    else:
        from envman.ops.build_inputs import find_profile

        find_profile(ctx.paths, profile)  # ProfileNotFound names it, before anything is written
    engine = ctx.engine()
    while True:
        name = EPHEMERAL_PREFIX + secrets.token_hex(4)
        taken = engine.container(name) is not None or box_file(ctx.paths, name).exists()
        if not taken and recorded_address(ctx.paths, name) is None:
            break
    file = box_file(ctx.paths, name)
    file.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(file, box_text(name, image=image, include=profile))
    return Throwaway(name, file)


def remove_throwaway(ctx: Context, box: Throwaway, *, attempts: int = 3) -> list[str]:
    """Remove what the throwaway box made (only envman's own, by its records and label), and
    its profile; returns the problems, if any, as lines to show.

    A podman busy with other clients can fail a call now and then: the removal is tried again.
    """
    for attempt in range(1, attempts + 1):
        try:
            remove(ctx, box.name)
        except EnvNotFound:
            forget_box(ctx.paths, box.name)  # it never came up: only its profile to remove
        except EnvmanError as exc:
            if attempt < attempts:
                time.sleep(attempt)
                continue
            return [
                f"{box.name}: not removed: {exc.message}",
                f"remove it with `envman rm --yes {box.name}`",
            ]
        return []
    return []


def ephemeral(
    ctx: Context,
    box: Throwaway,
    up_one: Callable[[str], object],
    run_inside: Callable[[str], int],
) -> int:
    """Bring the throwaway box up, run in it, and remove it whatever happens (a failure, Ctrl-C,
    SIGTERM turned into an exception by the caller); the command's exit status."""
    try:
        up_one(str(box.file))
        return run_inside(box.name)
    finally:
        for problem in remove_throwaway(ctx, box):
            ctx.notify(problem)


def remove(ctx: Context, name: str, *, force_state: bool = False, dry_run: bool = False) -> Removed:
    """`rm`: the environment as `envman.ops.envs.rm` removes it, and the profile envman wrote
    for it when it is a box made from an image."""
    from envman.ops.envs import rm

    removed = rm(ctx, name, force_state=force_state, dry_run=dry_run)
    files = forget_box(ctx.paths, name, dry_run=dry_run)
    return replace(removed, files=removed.files + files)
