"""The signature attachment: the OCI manifest under `sha256-<hex>.sig` and its config blob."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from envman.signing.gojson import marshal

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
# containers/image reads at most this much of a signature blob (iolimits.MaxSignatureBodySize).
MAX_PAYLOAD_BYTES = 4 * 1024 * 1024

_DIGEST = re.compile(r"(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})")


class ManifestInvalid(ValueError):
    """A signature manifest that containers/image would refuse."""


@dataclass(frozen=True)
class Layer:
    """One layer of a signature manifest: a signature payload, or another kind of attachment."""

    media_type: str
    digest: str
    size: int
    annotations: Mapping[str, str] = field(default_factory=dict)


def sha256_digest(data: bytes) -> str:
    """`sha256:<hex>` of exactly these bytes."""
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def digest_matches(digest: str, data: bytes) -> bool:
    """Whether a well-formed `ALGORITHM:HEX` digest is the digest of `data`."""
    if not _DIGEST.fullmatch(digest):
        return False
    algorithm, _, hex_part = digest.partition(":")
    return hashlib.new(algorithm, data).hexdigest() == hex_part


def signature_tag(image_digest: str) -> str:
    """The tag the signatures of an image live under: `sha256-<hex>.sig`."""
    if not _DIGEST.fullmatch(image_digest):
        raise ValueError(f"not a digest: {image_digest!r}")
    return image_digest.replace(":", "-", 1) + ".sig"


def config_blob(layers: Sequence[Layer]) -> bytes:
    """The config blob upstream writes: an empty image whose diff_ids are the layer digests."""
    return marshal(
        {
            "architecture": "",
            "os": "",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [layer.digest for layer in layers]},
        },
        sort_keys=False,
    )


def manifest_blob(config: bytes, layers: Sequence[Layer]) -> bytes:
    """The signature manifest: OCI, the config blob's descriptor, one descriptor per layer."""
    descriptors = []
    for layer in layers:
        item: dict[str, Any] = {
            "mediaType": layer.media_type,
            "digest": layer.digest,
            "size": layer.size,
        }
        if layer.annotations:
            item["annotations"] = dict(sorted(layer.annotations.items()))
        descriptors.append(item)
    return marshal(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": OCI_CONFIG,
                "digest": sha256_digest(config),
                "size": len(config),
            },
            "layers": descriptors,
        },
        sort_keys=False,
    )


def parse_layers(manifest: bytes) -> tuple[Layer, ...]:
    """The layers of a signature manifest; ManifestInvalid when it is not an OCI image manifest."""
    try:
        root = json.loads(manifest.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ManifestInvalid(f"the signature manifest is not JSON: {exc}") from None
    if not isinstance(root, dict):
        raise ManifestInvalid("the signature manifest is not a JSON object")
    if root.get("mediaType", OCI_MANIFEST) != OCI_MANIFEST or "manifests" in root:
        raise ManifestInvalid("the signature manifest is not an OCI image manifest")
    layers = root.get("layers") or []
    if not isinstance(layers, list):
        raise ManifestInvalid("the signature manifest's layers are not a list")
    return tuple(_layer(item, index) for index, item in enumerate(layers))


def _layer(item: Any, index: int) -> Layer:
    where = f"layer {index} of the signature manifest"
    if not isinstance(item, dict):
        raise ManifestInvalid(f"{where} is not a JSON object")
    media_type, digest, size = (
        item.get("mediaType", ""),
        item.get("digest", ""),
        item.get("size", 0),
    )
    annotations = item.get("annotations") or {}
    if not isinstance(media_type, str) or not isinstance(digest, str):
        raise ManifestInvalid(f"{where}: mediaType and digest must be strings")
    if isinstance(size, bool) or not isinstance(size, int):
        raise ManifestInvalid(f"{where}: size must be an integer")
    if not isinstance(annotations, dict) or not all(
        isinstance(value, str) for value in annotations.values()
    ):
        raise ManifestInvalid(f"{where}: annotations must map strings to strings")
    return Layer(media_type, digest, size, annotations)
