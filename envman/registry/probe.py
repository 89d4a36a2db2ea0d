"""Is a registry there at all? One short TCP connect, so that offline fails fast, never hangs."""

from __future__ import annotations

import socket

from envman.errors import RegistryUnreachable
from envman.registry.address import split_host_port
from envman.registry.transport import CONNECT_TIMEOUT, resolve

REGISTRY_ALIASES = {"docker.io": "registry-1.docker.io"}  # where podman pulls docker.io from


def registry_host(image: str) -> str | None:
    """The registry an image reference names (`HOST[:PORT]`), or None for a local-only name
    (`localhost/…`, or one without a registry host, which podman cannot pull as it is)."""
    first, slash, _ = image.partition("/")
    if not slash or first == "localhost" or first.startswith("localhost:"):
        return None
    if "." not in first and ":" not in first:
        return None
    return REGISTRY_ALIASES.get(first, first)


def check_reachable(host: str, *, timeout: float = CONNECT_TIMEOUT) -> None:
    """RegistryUnreachable unless `host` accepts a TCP connection within `timeout` seconds."""
    name, port = split_host_port(host)
    try:
        address = resolve(name, port, timeout)
        with socket.create_connection(address, timeout=timeout):
            pass
    except OSError as exc:
        raise RegistryUnreachable(
            f"registry {host} cannot be reached: {exc.strerror or exc}",
            "check the network (offline?), or map the image to a local one: "
            "envman config image-override IMAGE LOCAL_IMAGE",
        ) from None
