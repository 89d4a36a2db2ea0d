"""The verifier's rejections: tampering, other images and tags, malformed payloads, many layers."""

from __future__ import annotations

import base64

import pytest

from envman.errors import ExitCode, SignatureRejected, UsageError
from envman.signing.crypto import PrivateKey
from envman.signing.manifest import (
    MAX_PAYLOAD_BYTES,
    SIGNATURE_ANNOTATION,
    SIMPLESIGNING,
    Layer,
    config_blob,
    manifest_blob,
    sha256_digest,
)
from envman.signing.payload import Payload, payload_bytes
from envman.signing.sign import sign
from envman.signing.verify import Attachment, Reason, Verdict, require_accepted, verify
from tests.signing.conftest import CASES, SIGNED, fixture_bytes

IMAGE = fixture_bytes(SIGNED["manifest"])
OTHER_IMAGE = fixture_bytes(CASES["images"]["unsigned"]["manifest"])
REF = "127.0.0.1:5077/fixture/signed:770ef567cc81"
REPO = "127.0.0.1:5077/fixture/signed"


def attach(*layers: tuple[bytes, str | None], media_type: str = SIMPLESIGNING) -> Attachment:
    """An attachment with one layer per (payload, base64 signature or None for no annotation)."""
    descriptors = [
        Layer(
            media_type,
            sha256_digest(payload),
            len(payload),
            {SIGNATURE_ANNOTATION: sig} if sig is not None else {},
        )
        for payload, sig in layers
    ]
    blobs = {sha256_digest(payload): payload for payload, _ in layers}
    return Attachment(manifest_blob(config_blob(descriptors), descriptors), blobs)


def signed_layer(key: PrivateKey, payload: bytes) -> tuple[bytes, str]:
    """A payload and its signature by `key`, whatever the payload says."""
    return payload, base64.b64encode(key.sign(payload)).decode()


def check(
    key: PrivateKey, attachment: Attachment | None, ref: str = REF, image: bytes = IMAGE
) -> Verdict:
    return verify(ref, image, attachment, [key.public])


def good_payload(identity: str = REF, digest: str = SIGNED["digest"]) -> bytes:
    return payload_bytes(Payload(identity, digest, "test", 1))


def test_a_good_signature_is_accepted(fresh_key: PrivateKey) -> None:
    verdict = check(fresh_key, attach(signed_layer(fresh_key, good_payload())))
    assert verdict.accepted, verdict.message
    assert verdict.identity == REF
    assert require_accepted(verdict) == SIGNED["digest"]


def test_a_tampered_payload_fails_the_signature(fresh_key: PrivateKey) -> None:
    payload, sig = signed_layer(fresh_key, good_payload())
    tampered = payload.replace(b":770ef567cc81", b":latest")
    verdict = check(fresh_key, attach((tampered, sig)), ref=f"{REPO}:latest")
    assert (verdict.accepted, verdict.reason) == (False, Reason.BAD_SIGNATURE)


def test_a_tampered_signature_fails(fresh_key: PrivateKey) -> None:
    payload, sig = signed_layer(fresh_key, good_payload())
    raw = bytearray(base64.b64decode(sig))
    raw[-1] ^= 0x01
    verdict = check(fresh_key, attach((payload, base64.b64encode(bytes(raw)).decode())))
    assert (verdict.accepted, verdict.reason) == (False, Reason.BAD_SIGNATURE)


def test_a_payload_blob_that_does_not_match_its_digest_rejects(fresh_key: PrivateKey) -> None:
    payload, sig = signed_layer(fresh_key, good_payload())
    good = attach((payload, sig))
    swapped = Attachment(good.manifest, {sha256_digest(payload): payload + b" "})
    verdict = check(fresh_key, swapped)
    assert (verdict.accepted, verdict.reason) == (False, Reason.MALFORMED)


def test_a_payload_blob_over_upstreams_limit_rejects(fresh_key: PrivateKey) -> None:
    payload = good_payload()[:-1] + b',"padding":"' + b"x" * MAX_PAYLOAD_BYTES + b'"}'
    verdict = check(fresh_key, attach(signed_layer(fresh_key, payload)))
    assert (verdict.accepted, verdict.reason) == (False, Reason.MALFORMED)
    assert "too large" in verdict.message


def test_a_signature_for_another_image_is_a_digest_mismatch(fresh_key: PrivateKey) -> None:
    signed = sign(fresh_key, REF, OTHER_IMAGE, timestamp=1)
    attachment = Attachment(signed.manifest, {signed.payload_digest: signed.payload})
    verdict = check(fresh_key, attachment)
    assert (verdict.accepted, verdict.reason) == (False, Reason.DIGEST_MISMATCH)


def test_a_reference_digest_must_be_the_manifests(fresh_key: PrivateKey) -> None:
    other = sha256_digest(OTHER_IMAGE)
    verdict = check(
        fresh_key, attach(signed_layer(fresh_key, good_payload())), ref=f"{REPO}@{other}"
    )
    assert (verdict.accepted, verdict.reason) == (False, Reason.DIGEST_MISMATCH)


@pytest.mark.parametrize(
    ("asked", "signed_as", "accepted"),
    [
        (REF, REF, True),
        (f"{REPO}:moved", REF, False),
        (f"{REPO}@{SIGNED['digest']}", REF, True),
        (f"{REPO}@{SIGNED['digest']}", "127.0.0.1:5077/fixture/other:770ef567cc81", False),
        (f"{REPO}@{SIGNED['digest']}", REPO, False),  # a signed name without tag never matches
        (f"{REPO}:770ef567cc81@{SIGNED['digest']}", REF, False),
        ("docker.io/library/busybox:1", "busybox:1", True),
        ("busybox:1", "docker.io/library/busybox:1", True),
        ("busybox", "busybox:latest", True),
        (REF, "not a reference", False),
    ],
)
def test_identity_rule_is_match_repo_digest_or_exact(
    fresh_key: PrivateKey, asked: str, signed_as: str, accepted: bool
) -> None:
    verdict = check(
        fresh_key, attach(signed_layer(fresh_key, good_payload(identity=signed_as))), ref=asked
    )
    assert verdict.accepted is accepted, verdict.message
    if not accepted:
        assert verdict.reason is Reason.IDENTITY_MISMATCH


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'{"critical":{},"optional":null}',
        b'{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},'
        b'"type":"cosign container image signature","extra":1},"optional":null}',
        b'{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},'
        b'"type":"something else"},"optional":null}',
        b'{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},'
        b'"type":"cosign container image signature"},"optional":{"timestamp":1.5}}',
        b'{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},'
        b'"type":"cosign container image signature"},"optional":null,"optional":null}',
    ],
    ids=["not-json", "empty-critical", "unknown-key", "wrong-type", "float-timestamp", "duplicate"],
)
def test_a_malformed_payload_with_a_good_signature_is_rejected(
    fresh_key: PrivateKey, payload: bytes
) -> None:
    if b"%s" in payload:
        payload = payload % (REF.encode(), SIGNED["digest"].encode())
    verdict = check(fresh_key, attach(signed_layer(fresh_key, payload)))
    assert (verdict.accepted, verdict.reason) == (False, Reason.MALFORMED)


def test_cosigns_null_optional_is_accepted(fresh_key: PrivateKey) -> None:
    payload = (
        b'{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},'
        b'"type":"cosign container image signature"},"optional":null}'
    ) % (REF.encode(), SIGNED["digest"].encode())
    assert check(fresh_key, attach(signed_layer(fresh_key, payload))).accepted


def test_a_missing_or_bad_annotation_rejects_the_layer(fresh_key: PrivateKey) -> None:
    assert check(fresh_key, attach((good_payload(), None))).reason is Reason.MALFORMED
    assert check(fresh_key, attach((good_payload(), "not base64!"))).reason is Reason.MALFORMED


def test_one_good_layer_among_bad_ones_is_enough(
    fresh_key: PrivateKey, upstream_private: PrivateKey
) -> None:
    wrong = signed_layer(upstream_private, good_payload())
    other_tag = signed_layer(fresh_key, good_payload(identity=f"{REPO}:moved"))
    good = signed_layer(fresh_key, good_payload())
    assert check(fresh_key, attach(wrong, other_tag, good)).accepted
    verdict = check(fresh_key, attach(wrong, other_tag))
    assert (verdict.accepted, verdict.reason) == (False, Reason.IDENTITY_MISMATCH)
    assert "signature 0:" in verdict.message
    assert "signature 1:" in verdict.message


def test_only_other_attachments_means_no_signature(fresh_key: PrivateKey) -> None:
    attachment = attach(
        signed_layer(fresh_key, good_payload()), media_type="application/vnd.in-toto+json"
    )
    verdict = check(fresh_key, attachment)
    assert (verdict.accepted, verdict.reason) == (False, Reason.NO_SIGNATURE)


def test_a_signature_manifest_that_is_not_oci_rejects(fresh_key: PrivateKey) -> None:
    for manifest in (b"[]", b"{", b'{"mediaType":"application/vnd.oci.image.index.v1+json"}'):
        verdict = check(fresh_key, Attachment(manifest))
        assert (verdict.accepted, verdict.reason) == (False, Reason.MALFORMED)


def test_no_attachment_is_no_signature_and_raises_exit_31(fresh_key: PrivateKey) -> None:
    verdict = check(fresh_key, None)
    assert (verdict.accepted, verdict.reason) == (False, Reason.NO_SIGNATURE)
    with pytest.raises(SignatureRejected) as raised:
        require_accepted(verdict)
    assert raised.value.exit_code == ExitCode.SIGNATURE_REJECTED == 31
    assert "no-signature" in raised.value.message
    assert raised.value.hint


def test_a_bad_reference_or_no_key_is_a_usage_error(fresh_key: PrivateKey) -> None:
    with pytest.raises(UsageError):
        check(fresh_key, None, ref="Upper/Case:tag")
    with pytest.raises(UsageError, match="no trusted public key"):
        verify(REF, IMAGE, None, [])


def test_signing_appends_to_an_existing_signature_manifest(
    fresh_key: PrivateKey, upstream_private: PrivateKey
) -> None:
    first = sign(upstream_private, REF, IMAGE, timestamp=1)
    second = sign(fresh_key, REF, IMAGE, timestamp=2, existing=first.manifest)
    blobs = {first.payload_digest: first.payload, second.payload_digest: second.payload}
    attachment = Attachment(second.manifest, blobs)
    assert verify(REF, IMAGE, attachment, [upstream_private.public]).accepted
    assert verify(REF, IMAGE, attachment, [fresh_key.public]).accepted


def test_signing_refuses_a_name_without_tag(fresh_key: PrivateKey) -> None:
    with pytest.raises(UsageError):
        sign(fresh_key, REPO, IMAGE, timestamp=1)
