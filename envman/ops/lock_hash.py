"""A locked build FROM repository@digest hashes as the build FROM the tag that names the digest."""

from __future__ import annotations

from dataclasses import replace

from envman.engine.types import Engine
from envman.ops.build_inputs import Resolved
from envman.render.containerfile import HASH_LABEL, BuildPlan, label_step, seal, unsealed


def as_tag(plan: BuildPlan, tag: str) -> BuildPlan:
    """The build FROM the digest, labelled and hashed as the same build FROM the tag naming it."""
    body = unsealed(plan)
    labels = {**plan.labels, "envman.base": tag}
    twin = seal(_from_tag(body, plan.base_image, tag), plan.files, tag, labels)
    text = body + label_step({**twin.labels, HASH_LABEL: twin.content_hash})
    return BuildPlan(text, dict(plan.files), plan.base_image, twin.labels, twin.content_hash)


def hashed_as_tag(engine: Engine, locked: Resolved, tag: str, digest: str) -> Resolved:
    """While `tag` still names the locked digest here, the locked build hashes as the unlocked one.

    So writing a lock of the base image that is here leaves environments built before it up to
    date (hash, labels and container alike). The build FROM the digest keeps a hash of its own
    once the tag moves on, and while an image of the tag's hash holds another base.
    """
    here = engine.image(tag)
    if here is None or here.digest != digest:
        return locked
    hostless = locked.hostless_plan and as_tag(locked.hostless_plan, tag)
    hashed = replace(locked, base_image=tag, plan=as_tag(locked.plan, tag), hostless_plan=hostless)
    built = engine.image(hashed.tag)
    if built is not None and built.layers[: len(here.layers)] != here.layers:
        return locked  # that hash was built before the tag moved here: not on the locked base
    return hashed


def _from_tag(containerfile: str, pinned: str, tag: str) -> str:
    from envman.profile.containerfile.bases import replace_bases

    return replace_bases(containerfile, {pinned: tag}, ".envman.Containerfile")
