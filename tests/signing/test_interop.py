"""envman against upstream: every case of cases.json, upstream's key, upstream's manifest bytes."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from envman.signing.crypto import PrivateKey
from envman.signing.manifest import (
    SIGNATURE_ANNOTATION,
    SIMPLESIGNING,
    Layer,
    config_blob,
    manifest_blob,
    sha256_digest,
    signature_tag,
)
from envman.signing.payload import Payload, payload_bytes
from envman.signing.sign import sign
from envman.signing.verify import Attachment, Reason, verify
from tests.signing.conftest import CASES, SIGNED, attachment, fixture_bytes, public_key

# What each upstream rejection is, in envman's terms.
UPSTREAM_REASONS = {
    "signed": Reason.ACCEPTED,
    "signed-by-digest": Reason.ACCEPTED,
    "wrongkey": Reason.BAD_SIGNATURE,
    "wrongkey-with-other-pub": Reason.ACCEPTED,
    "unsigned": Reason.NO_SIGNATURE,
    "retagged": Reason.IDENTITY_MISMATCH,
}


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda case: case["name"])
def test_every_upstream_case_gets_upstreams_decision(case: dict[str, Any]) -> None:
    verdict = verify(
        case["reference"],
        fixture_bytes(case["image_manifest"]),
        attachment(case["signature"]),
        [public_key(case["public_key"])],
    )
    assert verdict.accepted is (case["expected"] == "accept"), verdict.message
    assert verdict.reason is UPSTREAM_REASONS[case["name"]]
    assert verdict.digest == case["expected_digest"]
    assert signature_tag(verdict.digest) == case["signature_tag"]


def test_the_cases_cover_every_upstream_case() -> None:
    assert {case["name"] for case in CASES["cases"]} == set(UPSTREAM_REASONS)


def test_a_second_trusted_key_does_not_change_a_decision() -> None:
    case = next(c for c in CASES["cases"] if c["name"] == "wrongkey")
    keys = [public_key("keys/upstream.pub"), public_key("keys/other.pub")]
    manifest = fixture_bytes(case["image_manifest"])
    verdict = verify(case["reference"], manifest, attachment(case["signature"]), keys)
    assert verdict.accepted
    assert verdict.key_id == keys[1].key_id


def test_the_upstream_private_key_decrypts_to_the_upstream_public_key(
    upstream_private: PrivateKey,
) -> None:
    assert upstream_private.public.pem() == fixture_bytes("keys/upstream.pub")


def test_the_critical_part_of_a_payload_is_byte_for_byte_upstreams() -> None:
    upstream = fixture_bytes(SIGNED["signature"]["payload"])
    ours = payload_bytes(Payload(SIGNED["signature"]["docker_reference"], SIGNED["digest"]))
    critical = json.dumps(json.loads(upstream)["critical"], separators=(",", ":"))
    assert upstream.startswith(b'{"critical":' + critical.encode() + b',"optional":')
    assert ours.startswith(b'{"critical":' + critical.encode() + b',"optional":')


def test_upstreams_creator_and_timestamp_give_upstreams_payload_exactly() -> None:
    upstream = fixture_bytes(SIGNED["signature"]["payload"])
    optional = json.loads(upstream)["optional"]
    payload = Payload(
        SIGNED["signature"]["docker_reference"],
        SIGNED["digest"],
        optional["creator"],
        optional["timestamp"],
    )
    assert payload_bytes(payload) == upstream


@pytest.mark.parametrize("image", ["signed", "wrongkey"])
def test_the_signature_manifest_and_config_are_rebuilt_byte_exact(image: str) -> None:
    files = CASES["images"][image]["signature"]
    payload = fixture_bytes(files["payload"])
    annotation = fixture_bytes(files["signature_b64"]).decode("ascii")
    layer = Layer(
        SIMPLESIGNING, sha256_digest(payload), len(payload), {SIGNATURE_ANNOTATION: annotation}
    )
    config = config_blob([layer])
    assert config == fixture_bytes(files["config"])
    assert sha256_digest(config) == files["config_digest"]
    manifest = manifest_blob(config, [layer])
    assert manifest == fixture_bytes(files["manifest"])
    assert sha256_digest(manifest) == files["manifest_digest"]


def test_what_envman_signs_with_the_upstream_key_verifies_and_has_upstreams_layout(
    upstream_private: PrivateKey,
) -> None:
    image_manifest = fixture_bytes(SIGNED["manifest"])
    identity = SIGNED["signature"]["docker_reference"]
    signed = sign(upstream_private, identity, image_manifest, timestamp=1796023157)

    upstream_pub = public_key("keys/upstream.pub")
    raw = base64.b64decode(signed.signature)
    assert upstream_pub.verifies(raw, signed.payload)
    verdict = verify(
        identity,
        image_manifest,
        Attachment(signed.manifest, {signed.payload_digest: signed.payload}),
        [upstream_pub],
    )
    assert verdict.accepted, verdict.message
    assert signed.tag == SIGNED["signature_tag"]
    assert signed.image_digest == SIGNED["digest"]

    ours, theirs = (
        json.loads(signed.manifest),
        json.loads(fixture_bytes(SIGNED["signature"]["manifest"])),
    )
    assert _layout(ours) == _layout(theirs)
    assert list(json.loads(signed.config)) == list(
        json.loads(fixture_bytes(SIGNED["signature"]["config"]))
    )
    assert json.loads(signed.config)["rootfs"]["diff_ids"] == [signed.payload_digest]
    assert ours["config"] == {
        "mediaType": theirs["config"]["mediaType"],
        "digest": signed.config_digest,
        "size": len(signed.config),
    }
    assert ours["layers"][0]["digest"] == signed.payload_digest
    assert ours["layers"][0]["size"] == len(signed.payload)


def _layout(manifest: dict[str, Any]) -> Any:
    """Keys and media types, without digests, sizes and signature values."""
    return (
        list(manifest),
        manifest["schemaVersion"],
        manifest["mediaType"],
        list(manifest["config"]),
        manifest["config"]["mediaType"],
        [
            (list(layer), layer["mediaType"], list(layer["annotations"]))
            for layer in manifest["layers"]
        ],
    )
