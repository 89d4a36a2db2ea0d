"""Signing keys: generate a cosign-format key pair, and load public and private keys from files."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from envman.errors import FileClash, KeyInvalid, UsageError
from envman.host.files import remove_file, write_atomic
from envman.signing.crypto import (
    PrivateKey,
    PublicKey,
    WrongPassphrase,
    decrypt_private_key,
    encrypt_private_key,
    generate_private_key,
    load_public_key,
)
from envman.signing.keyfile import KeyFileInvalid

# Key files are a few hundred bytes; reading more is never needed.
_MAX_KEY_FILE = 64 * 1024


@dataclass(frozen=True)
class KeyPair:
    """The files `key generate` wrote and the id of the key."""

    private: str
    public: str
    key_id: str


def key_paths(prefix: Path) -> tuple[Path, Path]:
    """PREFIX.private and PREFIX.pub, as `skopeo generate-sigstore-key --output-prefix` names."""
    return Path(f"{prefix}.private"), Path(f"{prefix}.pub")


def check_free(prefix: Path) -> None:
    """FileClash when either key file exists: a key is never overwritten."""
    for path in key_paths(prefix):
        if path.exists() or path.is_symlink():
            raise FileClash(
                f"{path} exists; envman never overwrites a key",
                "choose another PREFIX, or move the old key away first",
            )


def generate_key(prefix: Path, passphrase: str) -> KeyPair:
    """Write a new ECDSA P-256 key pair: PREFIX.private (encrypted, 0600) and PREFIX.pub."""
    if not passphrase:
        raise UsageError(
            "refusing an empty passphrase: the private key would be unprotected",
            "give a passphrase (ENVMAN_KEY_PASSPHRASE or the prompt)",
        )
    check_free(prefix)
    private_path, public_path = key_paths(prefix)
    key = generate_private_key()
    write_atomic(private_path, encrypt_private_key(key, passphrase), mode=0o600)
    try:
        write_atomic(public_path, key.public.pem(), mode=0o644)
    except BaseException:
        # Half a pair is useless: take back the private key written a moment ago.
        with contextlib.suppress(OSError):
            remove_file(private_path)
        raise
    return KeyPair(str(private_path), str(public_path), key.public.key_id)


def load_public_keys(paths: list[Path]) -> list[PublicKey]:
    """The trusted public keys in these PEM files; KeyInvalid naming the file that is not one."""
    keys = []
    for path in paths:
        try:
            keys.append(load_public_key(_read(path)))
        except KeyFileInvalid as exc:
            raise KeyInvalid(
                f"{path}: not a cosign public key: {exc}",
                "use the PREFIX.pub file of `envman key generate` or `cosign generate-key-pair`",
            ) from None
    return keys


def load_private_key(path: Path, passphrase: str) -> PrivateKey:
    """Decrypt a cosign private key file; KeyInvalid for a wrong passphrase or a bad file."""
    try:
        return decrypt_private_key(_read(path), passphrase)
    except WrongPassphrase:
        raise KeyInvalid(
            f"{path}: wrong passphrase (or the key file was changed)",
            "give the passphrase the key was generated with (ENVMAN_KEY_PASSPHRASE)",
        ) from None
    except KeyFileInvalid as exc:
        raise KeyInvalid(
            f"{path}: not a cosign private key: {exc}",
            "use the PREFIX.private file of `envman key generate` or `cosign generate-key-pair`",
        ) from None


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_KEY_FILE + 1)
    except OSError as exc:
        raise KeyInvalid(f"cannot read key file {path}: {exc.strerror}") from None
    if len(data) > _MAX_KEY_FILE:
        raise KeyInvalid(f"{path} is larger than {_MAX_KEY_FILE // 1024} KiB: not a key file")
    return data
