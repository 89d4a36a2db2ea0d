"""An image's cosign signature attachment on a registry: read it, check it, add signatures to it."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from envman.errors import RegistryError
from envman.registry.client import Manifest, RegistryClient
from envman.signing.crypto import PrivateKey, PublicKey
from envman.signing.manifest import (
    MAX_PAYLOAD_BYTES,
    OCI_MANIFEST,
    SIMPLESIGNING,
    ManifestInvalid,
    parse_layers,
    signature_tag,
)
from envman.signing.sign import SignedImage, sign
from envman.signing.verify import Attachment, verify


def fetch_attachment(client: RegistryClient, repo: str, image_digest: str) -> Attachment | None:
    """The `sha256-<hex>.sig` manifest and its signature payloads, or None when there is none.

    Payloads are read bounded; a missing, oversized or altered one is left out, and the verifier
    rejects its signature as malformed (as it says what is wrong with a malformed manifest).
    """
    tag = signature_tag(image_digest)
    if client.manifest_digest(repo, tag) is None:
        return None
    manifest = client.get_manifest(repo, tag)
    try:
        layers = parse_layers(manifest.data)
    except ManifestInvalid:
        return Attachment(manifest.data)
    blobs = {}
    for layer in layers:
        if layer.media_type == SIMPLESIGNING and layer.size <= MAX_PAYLOAD_BYTES:
            with contextlib.suppress(RegistryError):
                blobs[layer.digest] = client.get_blob(repo, layer.digest, MAX_PAYLOAD_BYTES)
    return Attachment(manifest.data, blobs)


def signed_by(
    reference: str, image: Manifest, attachment: Attachment | None, key: PublicKey
) -> bool:
    """Whether `attachment` has a signature by `key` for `image` as `reference` (REPO:TAG)."""
    if attachment is None:
        return False
    return verify(reference, image.data, attachment, [key]).accepted


def add_signatures(
    client: RegistryClient,
    repo: str,
    image: Manifest,
    identities: Sequence[str],
    *,
    key: PrivateKey,
    existing: Attachment | None,
    timestamp: int,
) -> SignedImage:
    """Sign `image` once per identity (REPO:TAG), keep the signatures already there, push it all.

    The payload and config blobs go first, the manifest under the signature tag last.
    """
    if not identities:
        raise ValueError("nothing to sign")
    base = existing.manifest if existing is not None else None
    if base is not None and not _parses(base):
        base = None  # an attachment no verifier can read: replaced rather than extended
    signed: list[SignedImage] = []
    for identity in identities:
        made = sign(key, identity, image.data, timestamp=timestamp, existing=base)
        signed.append(made)
        base = made.manifest
    for made in signed:
        client.put_blob(repo, made.payload)
    last = signed[-1]
    client.put_blob(repo, last.config)
    client.put_manifest(repo, last.tag, last.manifest, OCI_MANIFEST)
    return last


def _parses(manifest: bytes) -> bool:
    try:
        parse_layers(manifest)
    except ManifestInvalid:
        return False
    return True
