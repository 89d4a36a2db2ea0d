"""The verifier: containers/image's sigstoreSigned decision (matchRepoDigestOrExact), as data."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from envman.errors import SignatureRejected, UsageError
from envman.signing.crypto import PublicKey
from envman.signing.manifest import (
    MAX_PAYLOAD_BYTES,
    SIGNATURE_ANNOTATION,
    SIMPLESIGNING,
    Layer,
    ManifestInvalid,
    digest_matches,
    parse_layers,
    sha256_digest,
)
from envman.signing.payload import PayloadInvalid, parse_payload
from envman.signing.reference import (
    Reference,
    ReferenceInvalid,
    identity_matches,
    parse_reference,
    with_default_tag,
)


class Reason(StrEnum):
    """Why a signature check ended as it did (the order is how far a check got)."""

    ACCEPTED = "accepted"
    NO_SIGNATURE = "no-signature"
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad-signature"
    DIGEST_MISMATCH = "digest-mismatch"
    IDENTITY_MISMATCH = "identity-mismatch"


_PROGRESS = list(Reason)


@dataclass(frozen=True)
class Attachment:
    """What the registry holds under the signature tag: the manifest and blobs by digest."""

    manifest: bytes
    blobs: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class LayerVerdict:
    """The decision on one signature layer."""

    index: int
    reason: Reason
    message: str
    key_id: str | None = None
    identity: str | None = None


@dataclass(frozen=True)
class Verdict:
    """The decision on an image: accepted or not, why, and the digest that was checked."""

    reference: str
    digest: str
    accepted: bool
    reason: Reason
    message: str
    key_id: str | None = None
    identity: str | None = None
    layers: tuple[LayerVerdict, ...] = ()


def image_reference(text: str) -> Reference:
    """The reference a user asked for, normalised (`:latest` added); UsageError when invalid."""
    try:
        return with_default_tag(parse_reference(text))
    except ReferenceInvalid as exc:
        raise UsageError(
            f"{text!r} is not an image reference: {exc}",
            "write REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@sha256:DIGEST",
        ) from None


def verify(
    reference: str,
    image_manifest: bytes,
    attachment: Attachment | None,
    keys: Sequence[PublicKey],
) -> Verdict:
    """Decide whether the image `reference` resolved to (these exact manifest bytes) is signed.

    `attachment` is None when the registry has no `sha256-<hex>.sig` tag for the image.
    """
    wanted = image_reference(reference)
    if not keys:
        raise UsageError("no trusted public key to check signatures with")
    judge = _Judge(wanted, sha256_digest(image_manifest), keys)
    if wanted.digest is not None and wanted.digest != judge.digest:
        return judge.reject(
            Reason.DIGEST_MISMATCH, f"the manifest does not match the digest {wanted.digest}"
        )
    if attachment is None:
        return judge.reject(Reason.NO_SIGNATURE, "a signature is required, but there is none")
    try:
        layers = parse_layers(attachment.manifest)
    except ManifestInvalid as exc:
        return judge.reject(Reason.MALFORMED, str(exc))
    for layer in layers:
        problem = _blob_problem(layer.digest, attachment.blobs.get(layer.digest))
        if problem:
            return judge.reject(Reason.MALFORMED, problem)
    return judge.decide(layers, attachment.blobs)


def _blob_problem(digest: str, blob: bytes | None) -> str:
    """Why a fetched signature blob is unusable ("" when it is fine or was not fetched)."""
    if blob is not None and len(blob) > MAX_PAYLOAD_BYTES:
        return f"blob {digest} is too large"
    if blob is not None and not digest_matches(digest, blob):
        return f"blob {digest} does not match its digest"
    return ""


def require_accepted(verdict: Verdict) -> str:
    """The verified digest; SignatureRejected (exit 31) naming the reason otherwise."""
    if verdict.accepted:
        return verdict.digest
    raise SignatureRejected(
        f"{verdict.reference}: signature rejected ({verdict.reason}): {verdict.message}",
        _HINTS.get(verdict.reason),
    )


_HINTS = {
    Reason.NO_SIGNATURE: "sign the image and push its signature, or use an image that is signed",
    Reason.BAD_SIGNATURE: "check that the trusted public key is the one the image was signed with",
    Reason.IDENTITY_MISMATCH: "pull by the tag it was signed for, or by digest; a re-tag needs a "
    "new signature",
    Reason.DIGEST_MISMATCH: "the signature is for another image: sign this one",
}


@dataclass
class _Judge:
    wanted: Reference
    digest: str
    keys: Sequence[PublicKey]

    def reject(self, reason: Reason, message: str) -> Verdict:
        return Verdict(str(self.wanted), self.digest, False, reason, message)

    def decide(self, layers: Sequence[Layer], blobs: Mapping[str, bytes]) -> Verdict:
        results: list[LayerVerdict] = []
        others = 0
        for index, layer in enumerate(layers):
            if layer.media_type != SIMPLESIGNING:
                others += 1
                continue
            result = self.layer(index, layer, blobs.get(layer.digest))
            if result.reason is Reason.ACCEPTED:
                return Verdict(
                    str(self.wanted),
                    self.digest,
                    True,
                    Reason.ACCEPTED,
                    f"signed by {result.key_id} as {result.identity}",
                    result.key_id,
                    result.identity,
                    (*results, result),
                )
            results.append(result)
        return self.summary(tuple(results), others)

    def layer(self, index: int, layer: Layer, payload: bytes | None) -> LayerVerdict:
        if payload is None:
            return LayerVerdict(index, Reason.MALFORMED, f"no payload blob {layer.digest}")
        encoded = layer.annotations.get(SIGNATURE_ANNOTATION)
        if encoded is None:
            return LayerVerdict(index, Reason.MALFORMED, f"no {SIGNATURE_ANNOTATION} annotation")
        try:
            # Go's base64.StdEncoding skips newlines; it is otherwise strict.
            raw = base64.b64decode(encoded.replace("\r", "").replace("\n", ""), validate=True)
        except binascii.Error as exc:
            return LayerVerdict(index, Reason.MALFORMED, f"the signature is not base64: {exc}")
        key = next((k for k in self.keys if k.verifies(raw, payload)), None)
        if key is None:
            return LayerVerdict(
                index, Reason.BAD_SIGNATURE, "cryptographic signature verification failed"
            )
        return self.claims(index, key.key_id, payload)

    def claims(self, index: int, key_id: str, payload: bytes) -> LayerVerdict:
        # Only a payload whose signature verified is parsed at all, as upstream does.
        try:
            claimed = parse_payload(payload)
        except PayloadInvalid as exc:
            return LayerVerdict(index, Reason.MALFORMED, str(exc), key_id)
        identity = claimed.docker_reference
        if claimed.manifest_digest != self.digest:
            return LayerVerdict(
                index,
                Reason.DIGEST_MISMATCH,
                f"the signature is for digest {claimed.manifest_digest}",
                key_id,
                identity,
            )
        if not identity_matches(self.wanted, identity):
            return LayerVerdict(
                index,
                Reason.IDENTITY_MISMATCH,
                f"the signature for identity {identity} is not accepted",
                key_id,
                identity,
            )
        return LayerVerdict(index, Reason.ACCEPTED, "accepted", key_id, identity)

    def summary(self, results: tuple[LayerVerdict, ...], others: int) -> Verdict:
        if not results:
            extra = f" ({others} other attachments)" if others else ""
            return self.reject(
                Reason.NO_SIGNATURE, f"a signature is required, but there is none{extra}"
            )
        # The signature that got furthest says most about what went wrong.
        best = max(results, key=lambda r: _PROGRESS.index(r.reason))
        message = "; ".join(f"signature {r.index}: {r.message}" for r in results)
        if len(results) == 1:
            message = best.message
        return Verdict(
            str(self.wanted),
            self.digest,
            False,
            best.reason,
            message,
            best.key_id,
            best.identity,
            results,
        )
