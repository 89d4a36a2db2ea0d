"""`profile diff`: two versions of a profile resolved, compared value by value and by hash."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from envman.errors import RefNotFound, UsageError
from envman.host.readfile import PROFILE_MAX
from envman.ops.build_inputs import Resolved, resolve_profile
from envman.ops.context import Context
from envman.ops.plan import Existing, Facts, Outcome, Plan, Wanted, decide
from envman.profile.boundary import read_input_bytes
from envman.profile.diff import Change, context_changes, diff_data
from envman.profile.resolver import format_of
from envman.profile.yaml_format import profile_to_data
from envman.render.container import SPEC_LABEL, container_spec
from envman.sources.names import parse_address

PROVENANCE_LABELS = ("envman.source", "envman.source.commit", "envman.source.signer")


@dataclass(frozen=True)
class Side:
    """One of the two profiles compared."""

    arg: str
    source: str
    content_hash: str


@dataclass(frozen=True)
class ProfileDiff:
    """The changed values, the changed build files, and what an environment would need."""

    old: Side
    new: Side
    identical: bool
    action: Outcome  # what `up` reports on an environment made from old, given new
    plan: Plan  # the plan `up` would follow there
    changes: tuple[Change, ...]
    files: tuple[Change, ...]


def diff(ctx: Context, old_arg: str, new_arg: str) -> ProfileDiff:
    """Compare two profiles; `new_arg` may be just `REF` or `@REF` of the same source profile."""
    old = resolve_profile(ctx.paths, ctx.config, old_arg)
    new_arg, new = _resolve_other(ctx, old_arg, old, new_arg)
    changes = tuple(diff_data(_data(old), _data(new)))
    files = tuple(context_changes(_build_files(old), _build_files(new)))
    plan = _plan(ctx, old, new)
    return ProfileDiff(
        _side(old_arg, old),
        _side(new_arg, new),
        not changes and not files and old.plan.content_hash == new.plan.content_hash,
        plan.action,
        plan,
        changes,
        files,
    )


def _side(arg: str, resolved: Resolved) -> Side:
    return Side(arg, resolved.provenance, resolved.plan.content_hash)


def _build_files(resolved: Resolved) -> dict[str, tuple[bytes, int]]:
    """The build context, and the profile's own Containerfile (which envman renders from)."""
    files = dict(resolved.plan.files)
    name = resolved.profile.containerfile
    if name is not None:
        path = resolved.ref.path.parent / name
        files.setdefault(name, (read_input_bytes(path, PROFILE_MAX), 0o644))  # mode: not used
    return files


def _data(resolved: Resolved) -> dict[str, object]:
    return profile_to_data(replace(resolved.profile, includes=()))


def _resolve_other(ctx: Context, old_arg: str, old: Resolved, new_arg: str) -> tuple[str, Resolved]:
    ref = _shorthand_ref(ctx, old_arg, old, new_arg)
    if ref is None:
        return new_arg, resolve_profile(ctx.paths, ctx.config, new_arg)
    if not ref:
        raise UsageError("'@' without a ref", "write @REF: a tag, branch or commit")
    if old.revision is None:
        raise UsageError(
            f"'{new_arg}': only a team source's profile has other refs to compare with",
            "give the second profile in full: SOURCE/PROFILE@REF, a name or a path",
        )
    address = f"{old.revision.source}/{old.ref.name}@{ref}"
    try:
        return address, resolve_profile(ctx.paths, ctx.config, address)
    except RefNotFound as exc:
        raise RefNotFound(
            exc.message,
            f"'{new_arg}' was read as a ref of {old.revision.source}/{old.ref.name}; to compare "
            "with a profile of that name, give its path or put it first",
        ) from None


def _shorthand_ref(ctx: Context, old_arg: str, old: Resolved, new_arg: str) -> str | None:
    """The ref `new_arg` names when it is `@REF`, or a bare `REF` after a SOURCE/PROFILE address."""
    if new_arg.startswith("@"):
        return new_arg[1:]
    bare = not any(c in new_arg for c in "/@#") and format_of(Path(new_arg)) is None
    if bare and old.revision is not None and parse_address(old_arg) is not None:
        return None if (ctx.paths.cwd / new_arg).exists() else new_arg
    return None


def _plan(ctx: Context, old: Resolved, new: Resolved) -> Plan:
    """The plan of `up` with `new`, on a running environment made from `old` (its image kept)."""
    same_image = old.plan.content_hash == new.plan.content_hash
    wanted = Wanted(old.name, new.tag, new.plan.content_hash, "", _spec_hash(ctx, new, old))
    made = Existing(running=True, spec_hash=_spec_hash(ctx, old, old), image_id=old.tag)
    return decide(Facts(wanted, made, old.tag if same_image else ""))


def _spec_hash(ctx: Context, resolved: Resolved, named: Resolved) -> str:
    """The create spec's hash as `up` computes it, leaving out where the profile came from."""
    labels = {k: v for k, v in resolved.labels.items() if k not in PROVENANCE_LABELS}
    spec = container_spec(
        resolved.profile, ctx.facts, name=named.name, image=resolved.tag, labels=labels
    )
    return dict(spec.labels)[SPEC_LABEL]
