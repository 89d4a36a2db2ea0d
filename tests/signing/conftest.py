"""The upstream cosign fixtures (skopeo 1.11.2 / containers/image 5.24.1) and keys for the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from envman.signing.crypto import PrivateKey, PublicKey, generate_private_key, load_public_key
from envman.signing.manifest import sha256_digest
from envman.signing.verify import Attachment

FX = Path(__file__).parent / "data" / "cosign-interop"
CASES: dict[str, Any] = json.loads((FX / "cases.json").read_text(encoding="utf-8"))
PASSPHRASE = CASES["keys"]["upstream"]["passphrase"]
SIGNED = CASES["images"]["signed"]


def fixture_bytes(relative: str) -> bytes:
    """A fixture file, byte-exact."""
    return (FX / relative).read_bytes()


def public_key(relative: str) -> PublicKey:
    """A fixture public key."""
    return load_public_key(fixture_bytes(relative))


def attachment(signature: dict[str, str] | None) -> Attachment | None:
    """What a registry would serve under the signature tag, from a case's `signature` files."""
    if signature is None:
        return None
    payload = fixture_bytes(signature["payload"])
    return Attachment(fixture_bytes(signature["manifest"]), {sha256_digest(payload): payload})


@pytest.fixture(scope="session")
def upstream_private() -> PrivateKey:
    """keys/upstream.private, decrypted once (scrypt takes a while)."""
    from envman.signing.crypto import decrypt_private_key

    return decrypt_private_key(fixture_bytes("keys/upstream.private"), PASSPHRASE)


@pytest.fixture(scope="session")
def fresh_key() -> PrivateKey:
    """A key made here, never encrypted (fast)."""
    return generate_private_key()
