"""The signer: what a signer must push for an image, byte for byte as containers/image writes it."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from envman import __version__
from envman.errors import UsageError
from envman.signing.crypto import PrivateKey
from envman.signing.manifest import (
    SIGNATURE_ANNOTATION,
    SIMPLESIGNING,
    Layer,
    config_blob,
    manifest_blob,
    parse_layers,
    sha256_digest,
    signature_tag,
)
from envman.signing.payload import Payload, payload_bytes
from envman.signing.reference import ReferenceInvalid, parse_reference

CREATOR = f"envman {__version__}"


@dataclass(frozen=True)
class SignedImage:
    """Everything to push: the payload and config blobs, then the manifest under `tag`."""

    tag: str
    identity: str
    image_digest: str
    payload: bytes
    payload_digest: str
    signature: str
    config: bytes
    config_digest: str
    manifest: bytes
    manifest_digest: str


def sign(
    key: PrivateKey,
    identity: str,
    image_manifest: bytes,
    *,
    timestamp: int,
    creator: str = CREATOR,
    existing: bytes | None = None,
) -> SignedImage:
    """Sign an image as `identity` (REPO:TAG or REPO@DIGEST); keep the signatures in `existing`."""
    try:
        ref = parse_reference(identity)
    except ReferenceInvalid as exc:
        raise UsageError(f"{identity!r} is not an image reference: {exc}") from None
    if ref.name_only:
        raise UsageError(
            f"cannot sign as {identity!r}: it names no tag or digest",
            "sign as REGISTRY/REPOSITORY:TAG, the reference people pull",
        )
    image_digest = sha256_digest(image_manifest)
    payload = payload_bytes(Payload(str(ref), image_digest, creator, timestamp))
    signature = base64.b64encode(key.sign(payload)).decode("ascii")
    layer = Layer(
        SIMPLESIGNING, sha256_digest(payload), len(payload), {SIGNATURE_ANNOTATION: signature}
    )
    layers = (*(parse_layers(existing) if existing is not None else ()), layer)
    config = config_blob(layers)
    manifest = manifest_blob(config, layers)
    return SignedImage(
        tag=signature_tag(image_digest),
        identity=str(ref),
        image_digest=image_digest,
        payload=payload,
        payload_digest=layer.digest,
        signature=signature,
        config=config,
        config_digest=sha256_digest(config),
        manifest=manifest,
        manifest_digest=sha256_digest(manifest),
    )
