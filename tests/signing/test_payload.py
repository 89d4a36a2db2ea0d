"""The payload and the signature manifest: golden bytes, and the strict parser key by key."""

from __future__ import annotations

import pytest

from envman.signing.manifest import (
    SIGNATURE_ANNOTATION,
    SIMPLESIGNING,
    Layer,
    config_blob,
    manifest_blob,
    sha256_digest,
    signature_tag,
)
from envman.signing.payload import Payload, PayloadInvalid, parse_payload, payload_bytes
from tests.helpers import assert_golden

DIGEST = "sha256:" + "ab" * 32
REF = "registry.example.com/team/ansible:v2"
CRITICAL = (
    '"critical":{"identity":{"docker-reference":"' + REF + '"},'
    '"image":{"docker-manifest-digest":"' + DIGEST + '"},'
    '"type":"cosign container image signature"}'
)


def doc(before: str, after: str) -> str:
    """A payload document with the good `critical` part between `before` and `after`."""
    return before + CRITICAL + after


def test_payload_golden() -> None:
    payload = payload_bytes(Payload(REF, DIGEST, "envman <0.1> & co", 1796023157))
    assert_golden("signing/payload.json", payload.decode("utf-8"))
    assert b"\\u003c0.1\\u003e \\u0026 co" in payload  # Go's json.Marshal escapes


def test_signature_manifest_and_config_golden() -> None:
    payload = payload_bytes(Payload(REF, DIGEST, "envman", 1))
    layer = Layer(
        SIMPLESIGNING, sha256_digest(payload), len(payload), {SIGNATURE_ANNOTATION: "MEU="}
    )
    config = config_blob([layer])
    assert_golden("signing/sig-config.json", config.decode("utf-8"))
    assert_golden("signing/sig-manifest.json", manifest_blob(config, [layer]).decode("utf-8"))
    assert signature_tag(DIGEST) == "sha256-" + "ab" * 32 + ".sig"


def test_a_payload_reads_back() -> None:
    payload = parse_payload(payload_bytes(Payload(REF, DIGEST, "envman", 7)))
    assert payload == Payload(REF, DIGEST, "envman", 7)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        (doc("{", ',"optional":null}'), Payload(REF, DIGEST)),
        (doc("{", ',"optional":{}}'), Payload(REF, DIGEST)),
        (doc('{"optional":{"x":[1,{"a":1,"a":2}]},', "}"), Payload(REF, DIGEST)),
        (doc("{", ',"optional":{"timestamp":1e3}}'), Payload(REF, DIGEST, None, 1000)),
        (
            doc("{", ',"optional":{"timestamp":5.0,"creator":null}}'),
            Payload(REF, DIGEST, "", 5),
        ),
        (doc(" {", ',"optional":null} \n'), Payload(REF, DIGEST)),
    ],
    ids=[
        "optional-null",
        "optional-empty",
        "other-optional-ignored",
        "exponent",
        "null-creator",
        "spaces",
    ],
)
def test_what_upstream_parses(text: str, parsed: Payload) -> None:
    assert parse_payload(text.encode()) == parsed


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        doc("{", "}"),
        doc("{", ',"optional":null,"extra":1}'),
        doc("{", ',"optional":null} x'),
        doc("{", ',"optional":[]}'),
        doc("{", ',"optional":{"timestamp":"1"}}'),
        doc("{", ',"optional":{"timestamp":NaN}}'),
        doc("{", ',"optional":{"timestamp":1e400}}'),
        doc("{", ',"optional":{"timestamp":1,"timestamp":2}}'),
        doc("{", ',"optional":{"creator":1}}'),
        '{"critical":null,"optional":null}',
        '{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"d"}},'
        '"optional":null}',
        '{"critical":{"identity":{"docker-reference":"r","x":1},"image":{"docker-manifest-digest":"d"},'
        '"type":"cosign container image signature"},"optional":null}',
        '{"critical":{"identity":{"docker-reference":1},"image":{"docker-manifest-digest":"d"},'
        '"type":"cosign container image signature"},"optional":null}',
        '{"critical":{"identity":{"docker-reference":"r"},"image":{},'
        '"type":"cosign container image signature"},"optional":null}',
        '{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"d"},'
        '"type":"Cosign container image signature"},"optional":null}',
        '{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"d"},'
        '"type":"cosign container image signature","type":"cosign container image signature"},'
        '"optional":null}',
    ],
)
def test_what_upstream_refuses(text: str) -> None:
    with pytest.raises(PayloadInvalid):
        parse_payload(text.encode())


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(PayloadInvalid):
        parse_payload(b'{"critical":"\xff"}')
