"""Keys, ECDSA and the key-file cipher: the only module that imports cryptography and PyNaCl."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from envman.signing.keyfile import (
    COSIGN_PRIVATE,
    PRIVATE_TYPES,
    EncryptedKey,
    KeyFileInvalid,
    decode_encrypted,
    encode_encrypted,
    pem_decode,
    pem_encode,
)

_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


class WrongPassphrase(ValueError):
    """The passphrase does not open this private key (or the file was changed)."""


@dataclass(frozen=True)
class PublicKey:
    """A trusted ECDSA public key; verifies ASN.1 DER signatures over SHA-256 like sigstore."""

    key: ec.EllipticCurvePublicKey

    @property
    def key_id(self) -> str:
        """`sha256:` and the first 16 hex digits of the SubjectPublicKeyInfo: for messages."""
        der = self.key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return f"sha256:{hashlib.sha256(der).hexdigest()[:16]}"

    def pem(self) -> bytes:
        """The `PUBLIC KEY` PEM cosign writes as the .pub file."""
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def verifies(self, signature: bytes, data: bytes) -> bool:
        """Whether `signature` (DER) is this key's ECDSA P-256/SHA-256 signature of `data`."""
        try:
            self.key.verify(signature, data, _ECDSA_SHA256)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class PrivateKey:
    """A decrypted ECDSA private key: signs payloads."""

    key: ec.EllipticCurvePrivateKey

    @property
    def public(self) -> PublicKey:
        """Its public half."""
        return PublicKey(self.key.public_key())

    def sign(self, data: bytes) -> bytes:
        """An ASN.1 DER ECDSA signature over the SHA-256 of `data` (random, so never the same)."""
        return self.key.sign(data, _ECDSA_SHA256)


def load_public_key(pem: bytes) -> PublicKey:
    """A `PUBLIC KEY` PEM (SubjectPublicKeyInfo); KeyFileInvalid unless it holds an ECDSA key."""
    kind, der = pem_decode(pem)
    if kind != "PUBLIC KEY":
        raise KeyFileInvalid(f"it is a {kind!r} PEM block, not 'PUBLIC KEY'")
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyFileInvalid(f"it is not a public key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise KeyFileInvalid("it is not an ECDSA public key (cosign keys are ECDSA P-256)")
    return PublicKey(key)


def generate_private_key() -> PrivateKey:
    """A new ECDSA P-256 key, as cosign and `skopeo generate-sigstore-key` make."""
    return PrivateKey(ec.generate_private_key(ec.SECP256R1()))


def encrypt_private_key(key: PrivateKey, passphrase: str) -> bytes:
    """The `ENCRYPTED COSIGN PRIVATE KEY` PEM: PKCS#8 DER in scrypt + NaCl secretbox."""
    der = key.key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    salt, nonce = secrets.token_bytes(32), secrets.token_bytes(SecretBox.NONCE_SIZE)
    envelope = EncryptedKey(salt=salt, nonce=nonce, ciphertext=b"")
    box = SecretBox(_derive(envelope, passphrase))
    ciphertext = box.encrypt(der, nonce).ciphertext
    sealed = EncryptedKey(salt=salt, nonce=nonce, ciphertext=ciphertext)
    return pem_encode(COSIGN_PRIVATE, encode_encrypted(sealed))


def decrypt_private_key(pem: bytes, passphrase: str) -> PrivateKey:
    """Open a cosign encrypted private key; WrongPassphrase when the passphrase does not fit."""
    kind, data = pem_decode(pem)
    if kind not in PRIVATE_TYPES:
        raise KeyFileInvalid(f"it is a {kind!r} PEM block, not {' or '.join(PRIVATE_TYPES)}")
    sealed = decode_encrypted(data)
    try:
        der = SecretBox(_derive(sealed, passphrase)).decrypt(sealed.ciphertext, sealed.nonce)
    except CryptoError:
        raise WrongPassphrase("the passphrase is wrong (or the key file was changed)") from None
    try:
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFileInvalid(f"it does not hold a PKCS#8 private key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyFileInvalid("it is not an ECDSA private key (cosign keys are ECDSA P-256)")
    return PrivateKey(key)


def _derive(sealed: EncryptedKey, passphrase: str) -> bytes:
    kdf = Scrypt(salt=sealed.salt, length=SecretBox.KEY_SIZE, n=sealed.n, r=sealed.r, p=sealed.p)
    return kdf.derive(passphrase.encode("utf-8"))
