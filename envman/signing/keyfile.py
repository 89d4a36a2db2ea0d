"""cosign's key files: PEM envelopes and the JSON of an encrypted private key (no crypto here)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

COSIGN_PRIVATE = "ENCRYPTED COSIGN PRIVATE KEY"
SIGSTORE_PRIVATE = "ENCRYPTED SIGSTORE PRIVATE KEY"
PRIVATE_TYPES = (COSIGN_PRIVATE, SIGSTORE_PRIVATE)
KDF_NAME = "scrypt"
CIPHER_NAME = "nacl/secretbox"
# What cosign and `skopeo generate-sigstore-key` write.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 32768, 8, 1
# scrypt needs 128 * N * r bytes: refuse files that would make us allocate more than 256 MiB.
_MAX_SCRYPT_MEMORY = 256 * 1024 * 1024
_PEM = re.compile(r"-----BEGIN ([^\n-]+)-----\r?\n(.*?)\r?\n?-----END \1-----", re.DOTALL)


class KeyFileInvalid(ValueError):
    """A key file that does not have cosign's format."""


@dataclass(frozen=True)
class EncryptedKey:
    """The parts of an encrypted private key: scrypt parameters, salt, nonce, ciphertext."""

    salt: bytes
    nonce: bytes
    ciphertext: bytes
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P


def pem_decode(text: bytes) -> tuple[str, bytes]:
    """The type and bytes of the first PEM block (text before it is skipped, as Go does)."""
    match = _PEM.search(text.decode("utf-8", errors="replace"))
    if match is None:
        raise KeyFileInvalid("no PEM block (-----BEGIN ...-----) in it")
    try:
        body = base64.b64decode("".join(match.group(2).split()), validate=True)
    except binascii.Error as exc:
        raise KeyFileInvalid(f"its PEM block is not base64: {exc}") from None
    return match.group(1), body


def pem_encode(kind: str, data: bytes) -> bytes:
    """A PEM block as Go's pem.Encode writes it: 64-character lines, a final newline."""
    text = base64.b64encode(data).decode("ascii")
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return "".join(
        [f"-----BEGIN {kind}-----\n", *(f"{line}\n" for line in lines), f"-----END {kind}-----\n"]
    ).encode("ascii")


def encode_encrypted(key: EncryptedKey) -> bytes:
    """The JSON go-securesystemslib's `encrypted` package writes (struct field order)."""
    data = {
        "kdf": {
            "name": KDF_NAME,
            "params": {"N": key.n, "r": key.r, "p": key.p},
            "salt": _b64(key.salt),
        },
        "cipher": {"name": CIPHER_NAME, "nonce": _b64(key.nonce)},
        "ciphertext": _b64(key.ciphertext),
    }
    return json.dumps(data, separators=(",", ":")).encode("ascii")


def decode_encrypted(data: bytes) -> EncryptedKey:
    """Parse the JSON of an encrypted private key; only scrypt + nacl/secretbox exist."""
    try:
        root = json.loads(data.decode("utf-8"))
        kdf, cipher = _dict(root.get("kdf")), _dict(root.get("cipher"))
        params = _dict(kdf.get("params"))
        if kdf.get("name") != KDF_NAME or cipher.get("name") != CIPHER_NAME:
            raise KeyFileInvalid(f"only {KDF_NAME} with {CIPHER_NAME} is supported")
        key = EncryptedKey(
            salt=_unb64(kdf.get("salt")),
            nonce=_unb64(cipher.get("nonce")),
            ciphertext=_unb64(root.get("ciphertext")),
            n=_int(params.get("N")),
            r=_int(params.get("r")),
            p=_int(params.get("p")),
        )
    except (UnicodeDecodeError, ValueError, AttributeError) as exc:
        if isinstance(exc, KeyFileInvalid):
            raise
        raise KeyFileInvalid(f"the encrypted key is not cosign's JSON: {exc}") from None
    _check_params(key)
    return key


def _check_params(key: EncryptedKey) -> None:
    n_ok = key.n > 1 and key.n & (key.n - 1) == 0
    if not n_ok or not 1 <= key.r <= 32 or not 1 <= key.p <= 16:
        raise KeyFileInvalid(f"unsupported scrypt parameters N={key.n} r={key.r} p={key.p}")
    if 128 * key.n * key.r > _MAX_SCRYPT_MEMORY:
        raise KeyFileInvalid(f"scrypt parameters N={key.n} r={key.r} need too much memory")
    if len(key.nonce) != 24:
        raise KeyFileInvalid("the secretbox nonce is not 24 bytes")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise KeyFileInvalid("a salt, nonce or ciphertext is missing")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise KeyFileInvalid(f"a salt, nonce or ciphertext is not base64: {exc}") from None


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise KeyFileInvalid("the kdf, its params or the cipher is missing")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise KeyFileInvalid("an scrypt parameter is not an integer")
    return value
