"""TLS trust for one registry: system CAs plus the containers certs.d directory for its host."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

from envman.errors import RegistryError

SYSTEM_CERTS_DIRS = ("/etc/containers/certs.d", "/etc/docker/certs.d")


def certs_dirs() -> tuple[Path, ...]:
    """Where podman looks for per-registry certificates: the user's directory first."""
    home = Path(os.environ.get("HOME") or Path.home())
    return (home / ".config/containers/certs.d", *(Path(d) for d in SYSTEM_CERTS_DIRS))


def host_certs_dir(host: str, dirs: tuple[Path, ...]) -> Path | None:
    """The first `DIR/HOST[:PORT]` that exists (containers/image uses only that one)."""
    for base in dirs:
        candidate = base / host
        if candidate.is_dir():
            return candidate
    return None


def _load_system_cas(context: ssl.SSLContext) -> None:
    """The system's CAs: by hash from a hashed directory (read on demand), else the whole bundle.

    Parsing the whole bundle costs ~30 ms, a third of the lookup budget; Debian's /etc/ssl/certs
    has OpenSSL's hash links, so only the one CA a server needs is read.
    """
    paths = ssl.get_default_verify_paths()
    capath = os.environ.get(paths.openssl_capath_env) or paths.capath
    if not os.environ.get(paths.openssl_cafile_env) and capath and _has_hash_links(capath):
        context.load_verify_locations(capath=capath)
    else:
        context.load_default_certs()


def _has_hash_links(folder: str) -> bool:
    """Whether `folder` holds OpenSSL `c_rehash` names (`0123abcd.0`)."""
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if len(name) >= 10 and name[8] == "." and name[9:].isdigit():
                    return True
    except OSError:
        return False
    return False


def ssl_context(host: str, dirs: tuple[Path, ...] | None = None) -> ssl.SSLContext:
    """A verifying context: system CAs, certs.d's `*.crt` CAs and `*.cert`/`*.key` client pair."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies certificates and host names
    _load_system_cas(context)
    folder = host_certs_dir(host, certs_dirs() if dirs is None else dirs)
    if folder is None:
        return context
    for path in sorted(folder.iterdir()):
        try:
            if path.suffix == ".crt":
                context.load_verify_locations(cafile=str(path))
            elif path.suffix == ".cert" and path.with_suffix(".key").is_file():
                context.load_cert_chain(str(path), str(path.with_suffix(".key")))
        except (ssl.SSLError, OSError) as exc:
            raise RegistryError(
                f"{path}: not a usable PEM certificate for registry {host} ({exc})",
                "replace or remove the file; certs.d holds the registry's CA as *.crt",
            ) from None
    return context
