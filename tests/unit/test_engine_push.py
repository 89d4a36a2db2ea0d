"""How a podman push's answer becomes an error message (the live paths are in tests/registry)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from envman.engine.podman_api import _push_failure


@dataclass
class Reply:
    status_code: int
    lines: list[bytes] = field(default_factory=list)
    text: str = ""

    def iter_lines(self) -> Iterator[bytes]:
        yield from self.lines


def test_a_clean_stream_is_no_failure() -> None:
    lines = [json.dumps({"stream": "Copying blob abc\n"}).encode(), b"", b"not json"]
    assert _push_failure(Reply(200, lines)) is None


def test_the_error_line_of_the_stream_is_the_failure() -> None:
    lines = [
        json.dumps({"stream": "Copying blob abc\n"}).encode(),
        json.dumps(
            {"error": "x", "errorMessage": "unauthorized: authentication required"}
        ).encode(),
    ]
    assert _push_failure(Reply(200, lines)) == "unauthorized: authentication required"


def test_a_docker_style_error_object_is_read_too() -> None:
    lines = [json.dumps({"error": {"message": "denied"}}).encode()]
    assert _push_failure(Reply(200, lines)) == "denied"


def test_an_http_error_gives_the_message_of_its_body() -> None:
    body = json.dumps({"cause": "image not known", "message": "no such image", "response": 404})
    assert _push_failure(Reply(404, text=body)) == "no such image"
    assert _push_failure(Reply(500, text="plain text\n")) == "plain text"


def test_a_pull_stream_with_stray_lines_gives_its_image_and_an_error_line_raises() -> None:
    import pytest

    from envman.engine.podman_api import _pulled_id
    from envman.errors import RegistryError

    lines = [b"", b"not json", b"[1]", json.dumps({"id": "sha256:" + "ab" * 32}).encode()]
    assert _pulled_id(Reply(200, lines), "r@sha256:x") == "ab" * 32
    with pytest.raises(RegistryError, match="manifest unknown"):
        _pulled_id(Reply(200, [json.dumps({"error": "manifest unknown"}).encode()]), "r")
