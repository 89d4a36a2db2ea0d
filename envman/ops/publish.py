"""Publishing team images: build (or reuse) a profile's image, push it by content hash, sign it.

An image is `REGISTRY/NAMESPACE/PROFILE:<content hash>` (registry/published.py names it) plus the
profile's version as a moving tag, each signed in cosign's format under `sha256-<digest>.sig`.
Publishing a hash that is already there and signed by the key pushes and signs nothing.
Published images carry no host-local CAs: their content hash is the same on every machine.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from envman.engine.types import Engine, ImageInfo
from envman.errors import RegistryError, UsageError
from envman.ops.address import address_of
from envman.ops.build_inputs import Resolved, resolve_profile
from envman.ops.context import Context
from envman.ops.envs import build_image
from envman.ops.keys import load_private_key
from envman.profile.resolver import refs_in_dir
from envman.registry.address import Repository
from envman.registry.client import Manifest, RegistryClient
from envman.registry.credentials import auth_file_paths, find_credentials
from envman.registry.published import hash_tag, repository_for, version_tag
from envman.registry.signatures import add_signatures, fetch_attachment, signed_by
from envman.render.containerfile import HASH_LABEL
from envman.signing.crypto import PrivateKey
from envman.signing.verify import Attachment

# A digest no registry has: asking for it with push rights checks the login before a long build.
_PROBE_DIGEST = "sha256:" + "0" * 64


@dataclass(frozen=True)
class PublishResult:
    """One profile's image on the registry and what this run did for it."""

    profile: str
    address: str  # the profile it was built from: its file, or SOURCE/PROFILE@REF
    reference: str  # REGISTRY/NAMESPACE/PROFILE:<content hash>
    version_reference: str | None  # the moving tag, when the profile has a version
    digest: str  # the image manifest's digest, which the signatures name
    content_hash: str
    key_id: str
    built: bool = False  # no local image had this content hash
    pushed: bool = False
    signed: tuple[str, ...] = ()  # identities signed now
    tagged: bool = False  # the version tag was moved to this image

    @property
    def already_published(self) -> bool:
        """Nothing needed doing: pushed and signed by this key before."""
        return not (self.pushed or self.signed or self.tagged)


def team_profiles(checkout: Path) -> list[str]:
    """Every profile of a team source checkout (its profiles/ folder), one per name."""
    seen: set[str] = set()
    found = []
    for ref in refs_in_dir(checkout / "profiles"):
        if ref.name not in seen:
            seen.add(ref.name)
            found.append(str(ref))
    return found


def publish(
    ctx: Context,
    targets: list[str],
    *,
    registry: str,
    key_file: Path,
    passphrase: str,
    all_profiles: bool = False,
    clock: Callable[[], float] = time.time,
) -> list[PublishResult]:
    """Publish each target profile (`all_profiles`: every one in ./profiles) to `registry`.

    Every profile is resolved and the key decrypted before anything is built or pushed.
    """
    targets = _targets(ctx, targets, all_profiles)
    host = check_registry(registry)  # a malformed HOST/NAMESPACE fails before any work
    key = load_private_key(key_file, passphrase)
    resolved = [resolve_team_profile(ctx, t) for t in targets]
    _no_two_alike(resolved, registry)
    client = RegistryClient(host)
    try:
        stamp = int(clock())
        return [
            _publish_one(ctx, client, one, registry=registry, key=key, timestamp=stamp)
            for one in resolved
        ]
    finally:
        client.close()


def resolve_team_profile(ctx: Context, target: str) -> Resolved:
    """A profile resolved as its team image is built: without this host's own CAs, so that the
    content hash (and the hash tag) is the same on CI and on every laptop that looks it up."""
    return resolve_profile(ctx.paths, ctx.config, target, host_cas={})


def check_registry(registry: str) -> str:
    """The host of `HOST[:PORT]/NAMESPACE`; UsageError naming --registry when it is not one."""
    try:
        return repository_for(registry, "profile").host
    except RegistryError:
        raise UsageError(
            f"--registry {registry!r} is not HOST[:PORT]/NAMESPACE",
            "e.g. --registry registry.example.com/team (the namespace in lower case)",
        ) from None


def _targets(ctx: Context, targets: list[str], all_profiles: bool) -> list[str]:
    if all_profiles and targets:
        raise UsageError("give profiles or --all, not both")
    if all_profiles:
        found = team_profiles(ctx.paths.cwd)
        if not found:
            raise UsageError(
                f"--all: no profiles in {ctx.paths.cwd / 'profiles'}",
                "run it at the top of a team source checkout (the folder with profiles/)",
            )
        return found
    if not targets:
        raise UsageError("nothing to publish", "name profiles (or SOURCE/PROFILE@REF), or --all")
    return targets


def _no_two_alike(resolved: list[Resolved], registry: str) -> None:
    """Two profiles of one name would overwrite each other's repository."""
    seen: dict[str, Resolved] = {}
    for one in resolved:
        repo = str(repository_for(registry, one.name))
        if repo in seen:
            raise UsageError(
                f"{seen[repo].ref} and {one.ref} would both publish to {repo}",
                "give the profiles different names",
            )
        seen[repo] = one


def _publish_one(
    ctx: Context,
    client: RegistryClient,
    resolved: Resolved,
    *,
    registry: str,
    key: PrivateKey,
    timestamp: int,
) -> PublishResult:
    """Push and sign one profile's image, unless its hash tag is signed by this key already."""
    repo = repository_for(registry, resolved.name)
    tag = hash_tag(resolved.published_hash)
    moving = version_tag(resolved.profile.version)
    there = client.manifest_digest(repo.path, tag)
    image = client.get_manifest(repo.path, there) if there else None
    attachment = fetch_attachment(client, repo.path, image.digest) if image else None
    built = pushed = False
    if image is None or not signed_by(f"{repo}:{tag}", image, attachment, key.public):
        client.blob_exists(repo.path, _PROBE_DIGEST, push=True)  # no login: exit 32 now
        local, built = _local_image(ctx, ctx.engine(), resolved)
        image = _push(ctx, client, repo, tag, local)
        pushed = True
        attachment = fetch_attachment(client, repo.path, image.digest)
    tags = [t for t in (tag, moving) if t is not None]
    signed = _sign_missing(
        ctx, client, repo, image, tags=tags, attachment=attachment, key=key, timestamp=timestamp
    )
    # Only now, with its signature there, may the version tag lead people to this image.
    tagged = moving is not None and _move_tag(client, repo, moving, image)
    return PublishResult(
        profile=resolved.name,
        address=address_of(resolved),
        reference=f"{repo}:{tag}",
        version_reference=f"{repo}:{moving}" if moving else None,
        digest=image.digest,
        content_hash=resolved.plan.content_hash,
        key_id=key.public.key_id,
        built=built,
        pushed=pushed,
        signed=signed,
        tagged=tagged,
    )


def _sign_missing(
    ctx: Context,
    client: RegistryClient,
    repo: Repository,
    image: Manifest,
    *,
    tags: list[str],
    attachment: Attachment | None,
    key: PrivateKey,
    timestamp: int,
) -> tuple[str, ...]:
    """Sign `image` as REPO:TAG for each tag this key has not signed it as; those identities."""
    missing = [
        f"{repo}:{t}" for t in tags if not signed_by(f"{repo}:{t}", image, attachment, key.public)
    ]
    if missing:
        ctx.notify(f"signing {repo}@{image.digest} as " + ", ".join(missing))
        add_signatures(
            client, repo.path, image, missing, key=key, existing=attachment, timestamp=timestamp
        )
    return tuple(missing)


def _move_tag(client: RegistryClient, repo: Repository, tag: str, image: Manifest) -> bool:
    """Point `tag` at `image` (a manifest PUT, no image data); whether it pointed elsewhere."""
    if client.manifest_digest(repo.path, tag) == image.digest:
        return False
    client.put_manifest(repo.path, tag, image.data, image.media_type)
    return True


def _local_image(ctx: Context, engine: Engine, resolved: Resolved) -> tuple[ImageInfo, bool]:
    """The local image of this content hash (`up` tags it so), else one built now."""
    found = engine.image(resolved.tag)
    if found is not None and found.labels.get(HASH_LABEL) == resolved.plan.content_hash:
        return found, False
    built = build_image(ctx, engine, resolved, resolved.plan, no_cache=False, pull=False)
    return built, True


def _push(
    ctx: Context, client: RegistryClient, repo: Repository, tag: str, local: ImageInfo
) -> Manifest:
    """Push through podman; the manifest now under the tag must be of exactly this image."""
    destination = f"{repo}:{tag}"
    ctx.notify(f"pushing {destination}")
    login = find_credentials(repo.host, repo.path, auth_file_paths())
    ctx.engine().push(local.id, destination, (login.username, login.password) if login else None)
    manifest = client.get_manifest(repo.path, tag)
    if _config_digest(manifest) != f"sha256:{local.id}":
        raise RegistryError(
            f"{destination} is not the image envman pushed (image {local.id[:12]}): "
            "another push replaced it meanwhile",
            "publish again; nothing was signed",
        )
    return manifest


def _config_digest(manifest: Manifest) -> str:
    """The config blob a single-image manifest names (podman's image id is its digest)."""
    try:
        config = json.loads(manifest.data).get("config", {})
        return str(config.get("digest", ""))
    except (ValueError, AttributeError):
        return ""
