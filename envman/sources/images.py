"""A team source's own registry: `images/registry.yaml` names where its images live and the keys.

The keys come with the source only when its ref is verified (signed tag or commit); from an
unverified source only the registry is taken, checked with keys the user configured for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from envman.errors import EnvmanError, ProfileSyntaxError
from envman.host.config import TeamRegistry
from envman.profile.located import load_yaml
from envman.profile.reader import Reader
from envman.registry.published import repository_for
from envman.sources.lookup import Revision

IMAGES_DIR = "images"
REGISTRY_FILE = "registry.yaml"
_MAX_FILE = 64 * 1024


@dataclass(frozen=True)
class SourceRegistries:
    """The registries a profile's images may come from, and what was left out and why."""

    registries: tuple[TeamRegistry, ...]
    notes: tuple[str, ...] = ()


def registries_of(revision: Revision | None, user: tuple[TeamRegistry, ...]) -> SourceRegistries:
    """The source's registry first (when it declares one), then the user's others."""
    declared = _declared(revision) if revision is not None else None
    if declared is None:
        return SourceRegistries(user)
    assert revision is not None
    others = tuple(t for t in user if t.registry != declared.registry)
    configured = next((t for t in user if t.registry == declared.registry), None)
    if revision.signer:
        keys = declared.keys + (configured.keys if configured else ())
        return SourceRegistries((TeamRegistry(declared.registry, keys), *others))
    if configured is not None:
        return SourceRegistries((configured, *others))
    note = (
        f"source {revision.source} names registry {declared.registry}, but its ref "
        f"{revision.ref} is not verified, so its keys are not trusted: "
        f"`envman config registry add {declared.registry} --key PUBFILE` trusts one"
    )
    return SourceRegistries(others, (note,))


def _declared(revision: Revision) -> TeamRegistry | None:
    """`images/registry.yaml` of the checkout: `registry` and `keys` (files under images/)."""
    folder = revision.tree / IMAGES_DIR
    path = folder / REGISTRY_FILE
    if not path.is_file():
        return None
    label = f"{revision.source}@{revision.ref}: {IMAGES_DIR}/{REGISTRY_FILE}"
    try:
        with path.open("rb") as handle:
            text = handle.read(_MAX_FILE).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileSyntaxError(f"{label}: cannot read: {exc}") from None
    r = Reader(load_yaml(text, label))
    r.mapping((), ("registry", "keys"))
    registry = r.string(("registry",))
    names = r.strings(("keys",), scalar_ok=True)
    if not registry:
        raise r.fail(("registry",), "name the registry: HOST[:PORT]/NAMESPACE")
    try:
        repository_for(registry, "x")
    except EnvmanError as exc:
        raise r.fail(("registry",), exc.message, exc.hint) from None
    keys = []
    for i, name in enumerate(names):
        key = (folder / name).resolve()
        if not key.is_relative_to(folder.resolve()) or not key.is_file():
            raise r.fail(("keys", i), f"{name}: not a file in {IMAGES_DIR}/ of the source")
        keys.append(str(key))
    return TeamRegistry(registry.rstrip("/"), tuple(keys))
