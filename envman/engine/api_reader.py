"""Read-only queries to podman's REST API over its unix socket, with the standard library only.

podman-py costs ~170 ms to import (requests, urllib3, rich). The hot, read-only paths (`envman up`
when nothing changed, `ls`, `status`) only inspect and list, so they use this small client;
everything that changes state goes through podman-py in podman_api.py. It speaks HTTP/1.0 on a
plain socket (one request per connection, the body ends where the service closes it): http.client
alone would cost ~15 ms to import (email, ssl).
"""

from __future__ import annotations

import _socket  # not `socket`: it builds enums and imports selectors (~5 ms of `envman ls`)
import json
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from envman.errors import EngineUnavailable

API = "/v4.0.0/libpod"
LISTING_ATTEMPTS = 8  # 1.4 s of waits in all: under load other clients remove images often
_RACE = re.compile(rb"(image|layer) not known")
_CHUNK = 1 << 16

# Told of every answer (socket, path after API, decoded body): how `up` records what it inspected.
LISTENERS: list[Callable[[str, str, Any], None]] = []

# What envman reads of an inspect answer (podman_api.py's _container_from_inspect and
# _image_info), dotted: a recorded inspect is compared on these alone, since the rest moves on
# its own (a container lists its exec sessions).
_CONTAINER_KEYS = ("Id", "Name", "Image", "ImageName", "State.Status", "Config.Labels", "PidFile")
_IMAGE_KEYS = ("Id", "RepoTags", "Names", "Labels", "Created", "Size", "Digest", "RepoDigests")
INSPECTED = {
    "containers": (*_CONTAINER_KEYS, "Created"),
    "images": (*_IMAGE_KEYS, "Config.Labels", "Config.Entrypoint", "Config.User", "RootFS.Layers"),
}


class ApiReader:
    """GET requests answered with JSON; a 404 is None."""

    def __init__(self, socket_path: str, timeout: float = 30.0) -> None:
        self.socket_path = socket_path
        self.timeout = timeout

    def get(self, path: str, query: Mapping[str, str] | None = None) -> Any:
        """The decoded JSON body of GET API+path, or None when podman says 404.

        podman 4.3 fails a whole listing when another client removes an image or layer while it
        reads them ("image not known"): such an answer is asked again, a few times.
        """
        url = API + path + ("?" + urllib.parse.urlencode(query) if query else "")
        for attempt in range(LISTING_ATTEMPTS):
            status, body = self._get(url)
            if status < 500 or not _RACE.search(body) or attempt == LISTING_ATTEMPTS - 1:
                break
            time.sleep(0.05 * (attempt + 1))
        if status == 404:
            for listener in LISTENERS:
                listener(self.socket_path, url.removeprefix(API), None)
            return None
        if status >= 400:
            raise EngineUnavailable(f"podman's API refused GET {url}: {_message(body)}")
        data = json.loads(body) if body else None
        for listener in LISTENERS:
            listener(self.socket_path, url.removeprefix(API), data)
        return data

    def _get(self, url: str) -> tuple[int, bytes]:
        request = f"GET {url} HTTP/1.0\r\nHost: d\r\n\r\n".encode("ascii")
        chunks: list[bytes] = []
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self.socket_path)
            sock.sendall(request)
            while chunk := sock.recv(_CHUNK):
                chunks.append(chunk)
        except OSError as exc:
            raise EngineUnavailable(
                f"podman's API at {self.socket_path} stopped answering: {exc}",
                "check that podman works: podman info",
            ) from None
        finally:
            sock.close()
        return response(b"".join(chunks), self.socket_path)


def response(data: bytes, where: str) -> tuple[int, bytes]:
    """(status, body) of a whole HTTP/1.x response."""
    head, found, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    words = lines[0].split(b" ", 2)
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(b":") for h in lines[1:])}
    try:
        if not found or not words[0].startswith(b"HTTP/") or not words[1:2][0].isdigit():
            raise ValueError(words[0])
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            body = _dechunked(body)
    except (ValueError, IndexError):
        raise EngineUnavailable(
            f"podman's API at {where} answered something that is not HTTP",
            "check that podman works: podman info",
        ) from None
    if headers.get(b"content-length", b"").isdigit():
        body = body[: int(headers[b"content-length"])]
    return int(words[1]), body


def _dechunked(body: bytes) -> bytes:
    """The payload of a chunked body (a service may chunk even an HTTP/1.0 answer)."""
    parts: list[bytes] = []
    at = 0
    while True:
        end = body.find(b"\r\n", at)
        if end < 0:
            return b"".join(parts)
        size = int(body[at:end].split(b";")[0] or b"0", 16)
        if size == 0:
            return b"".join(parts)
        parts.append(body[end + 2 : end + 2 + size])
        at = end + 2 + size + 2


def _message(body: bytes) -> str:
    """podman's error text out of its JSON error body."""
    try:
        return str(json.loads(body).get("message") or body.decode(errors="replace"))
    except (ValueError, AttributeError):
        return body.decode(errors="replace").strip()


def quoted(name: str) -> str:
    """A name or id as one URL path segment."""
    return urllib.parse.quote(name, safe="")


def label_query(labels: Mapping[str, str], **extra: str) -> dict[str, str]:
    """The `filters` query parameter selecting objects that carry all these labels."""
    values = [f"{k}={v}" if v else k for k, v in labels.items()]
    if not values:  # podman refuses an empty label filter: no labels asks for everything
        return dict(extra)
    return {"filters": json.dumps({"label": values}), **extra}


def inspected(path: str, data: Any) -> str | None:
    """The parts of an inspect answer envman reads, as canonical JSON ("null": not there);
    None for any other request (`path` as given to ApiReader.get, with its query)."""
    kind, _, rest = path.removeprefix("/").partition("/")
    keys = INSPECTED.get(kind)
    if keys is None or not rest.endswith("/json") or "?" in rest or rest.count("/") != 1:
        return None
    if not isinstance(data, dict):
        return "null"
    view: dict[str, Any] = {}
    for key in keys:
        value: Any = data
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        view[key] = value
    return json.dumps(view, sort_keys=True)
