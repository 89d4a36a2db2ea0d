"""The logins `podman login` stored: the containers auth file (and Docker's), read like podman."""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

MAX_AUTH_FILE_BYTES = 1024 * 1024


class Credentials(NamedTuple):
    """A user name and password (or token) for one registry, and the file they came from."""

    username: str
    password: str
    source: Path


def auth_file_paths(env: Mapping[str, str] | None = None) -> list[Path]:
    """The files podman reads logins from, in its order (only `REGISTRY_AUTH_FILE` when set)."""
    env = os.environ if env is None else env
    if env.get("REGISTRY_AUTH_FILE"):
        return [Path(env["REGISTRY_AUTH_FILE"])]
    home = Path(env.get("HOME") or Path.home())
    runtime = env.get("XDG_RUNTIME_DIR")
    uid = os.getuid()
    if runtime:
        primary = Path(runtime) / "containers/auth.json"
    else:  # containers/image's fallbacks when XDG_RUNTIME_DIR is unset
        primary = Path(
            "/run/containers/0/auth.json" if uid == 0 else f"/run/user/{uid}/containers/auth.json"
        )
    docker = Path(env["DOCKER_CONFIG"]) if env.get("DOCKER_CONFIG") else home / ".docker"
    return [primary, home / ".config/containers/auth.json", docker / "config.json"]


def find_credentials(host: str, repo: str, files: list[Path]) -> Credentials | None:
    """The login for `host/repo` from the first file that has one (the most specific key wins)."""
    keys = _candidate_keys(host, repo)
    for path in files:
        auths = _read_auths(path)
        for key in keys:
            entry = auths.get(key)
            if entry is not None:
                found = _decode(entry, path)
                if found is not None:
                    return found
    return None


def _candidate_keys(host: str, repo: str) -> list[str]:
    """`host/ns/repo`, `host/ns`, `host`: auth.json keys may name a namespace or repository."""
    parts = repo.split("/")
    return [f"{host}/{'/'.join(parts[:n])}" for n in range(len(parts), 0, -1)] + [host]


def _read_auths(path: Path) -> dict[str, object]:
    """The `auths` table of one auth file by normalised key; empty when absent or unreadable."""
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read(MAX_AUTH_FILE_BYTES))
    except (OSError, ValueError):
        return {}
    auths = data.get("auths") if isinstance(data, dict) else None
    if not isinstance(auths, dict):
        return {}
    return {_normalise_key(key): value for key, value in auths.items() if isinstance(key, str)}


def _normalise_key(key: str) -> str:
    """Docker's legacy `https://host/v1/` keys name only the host."""
    for scheme in ("https://", "http://"):
        if key.startswith(scheme):
            return key[len(scheme) :].split("/", 1)[0]
    return key


def _decode(entry: object, path: Path) -> Credentials | None:
    """The `auth` field (base64 of `user:password`) of one entry, or None when it has none."""
    if not isinstance(entry, dict) or not isinstance(entry.get("auth"), str):
        return None
    try:
        text = base64.b64decode(entry["auth"], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = text.partition(":")
    return Credentials(username, password, path) if sep and username else None
