"""Team images on laptops: look up the profile's content hash in the team registry, verify, pull.

The lookup costs one HTTP request per configured registry and happens only when the image is
missing locally. A pull verifies the signature against the trusted keys first, then pulls by
digest, so what runs is exactly what was verified; a failed check never falls back to anything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from envman.engine.types import Engine, ImageInfo
from envman.errors import (
    RegistryAuthFailed,
    RegistryError,
    RegistryUnreachable,
    SignatureRejected,
)
from envman.host.config import TeamRegistry
from envman.ops.build_inputs import Resolved
from envman.ops.context import Context
from envman.ops.keys import load_public_keys
from envman.ops.plan import Published
from envman.registry import credentials
from envman.registry.address import Repository
from envman.registry.client import DigestMismatch, RegistryClient
from envman.registry.published import hash_tag, repository_for
from envman.registry.signatures import fetch_attachment
from envman.signing.verify import require_accepted, verify
from envman.sources.images import registries_of

LOOKUP_CONNECT_TIMEOUT = 2.0  # offline must cost seconds, not a hang


@dataclass(frozen=True)
class Pulled:
    """A verified, pulled image and where it came from."""

    image: ImageInfo
    source: str  # REGISTRY/NAMESPACE/PROFILE@sha256:...
    key_id: str


def registries_for(ctx: Context, resolved: Resolved) -> tuple[TeamRegistry, ...]:
    """The team registries a profile's images may come from: its source's, then the user's."""
    found = registries_of(resolved.revision, ctx.config.registries)
    for note in found.notes:
        ctx.notify(note)
    return found.registries


def lookup(ctx: Context, resolved: Resolved, *, strict: bool = True) -> Published:
    """Whether a team registry has the profile's content hash (one HEAD per registry asked).

    An unreachable registry is a note (up builds locally); a refused login raises exit 32
    when `strict` (up), and is a note otherwise (status).
    """
    teams = registries_for(ctx, resolved)
    if not teams:
        return Published("none")
    tag = hash_tag(resolved.published_hash)
    notes = []
    for team in teams:
        repo = repository_for(team.registry, resolved.profile.name)
        client = RegistryClient(repo.host, connect_timeout=LOOKUP_CONNECT_TIMEOUT)
        try:
            digest = client.manifest_digest(repo.path, tag)
        except RegistryUnreachable as exc:
            notes.append(f"{repo.host} not reached: {exc.message}")
            continue
        except (RegistryAuthFailed, RegistryError) as exc:
            if strict:
                raise
            notes.append(exc.message)
            continue
        finally:
            client.close()
        if digest is not None:
            return Published("found", f"{repo}:{tag}", digest)
    if notes:
        return Published("unreachable", f"{repo}:{tag}", note="; ".join(notes))
    return Published("absent", f"{repo}:{tag}")


def pinned_by_lock(found: Published, locked: str) -> Published:
    """The digest envman.lock pins for the image, when the registry has the image at all.

    The signature check is for that digest, so a tag moved since the lock changes nothing.
    """
    repository, _, digest = locked.partition("@")
    if found.lookup != "found" or repository != found.image.rpartition(":")[0]:
        return found
    return replace(found, digest=digest, note="pinned by envman.lock" if digest else "")


def pull_verified(ctx: Context, engine: Engine, resolved: Resolved, found: Published) -> Pulled:
    """Verify the published image's signature, pull it by digest, tag it as `up` tags a build.

    SignatureRejected (exit 31) names the image and the reason; nothing is pulled then.
    """
    team, repo = _team_of(ctx, resolved, found)
    keys = load_public_keys([Path(k) for k in team.keys])
    client = RegistryClient(repo.host, connect_timeout=LOOKUP_CONNECT_TIMEOUT)
    try:
        try:
            manifest = client.get_manifest(repo.path, found.digest)
        except DigestMismatch as exc:
            why = f"the manifest does not match its digest: {exc.message}"
            raise _rejected(found.image, why) from None
        attachment = fetch_attachment(client, repo.path, manifest.digest)
    finally:
        client.close()
    verdict = verify(found.image, manifest.data, attachment, keys)
    try:
        digest = require_accepted(verdict)
    except SignatureRejected as exc:
        raise SignatureRejected(
            f"{exc.message}; nothing was pulled or built from it",
            (exc.hint + "; " if exc.hint else "") + f"trusted keys: {', '.join(team.keys)}",
        ) from None
    ref = f"{repo}@{digest}"
    ctx.notify(f"pulling {ref} (signed by {verdict.key_id}) for {resolved.tag}")
    login = credentials.find_credentials(repo.host, repo.path, credentials.auth_file_paths())
    image = engine.pull(ref, (login.username, login.password) if login else None)
    engine.tag(image.id, resolved.tag)
    return Pulled(image, ref, verdict.key_id or "")


def _team_of(ctx: Context, resolved: Resolved, found: Published) -> tuple[TeamRegistry, Repository]:
    """The configured registry the lookup found the image in."""
    for team in registries_of(resolved.revision, ctx.config.registries).registries:
        repo = repository_for(team.registry, resolved.profile.name)
        if found.image.startswith(f"{repo}:"):
            return team, repo
    raise RegistryError(f"{found.image} is in no configured team registry")


def _rejected(image: str, why: str) -> SignatureRejected:
    return SignatureRejected(
        f"{image}: refused: {why}; nothing was pulled or built from it",
        "the registry or something in between altered the image; tell whoever runs the registry",
    )
