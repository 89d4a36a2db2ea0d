"""The stdlib API reader asks again when podman lost a listing to another client's removal."""

from __future__ import annotations

import http.server
import json
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.engine.api_reader import LISTING_ATTEMPTS, ApiReader, response
from envman.errors import EngineUnavailable

RACE = b'{"message": "retrieving label for image \\"abc\\": image not known"}'


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def _serving(path: Path, answers: list[tuple[int, bytes]]) -> _Server:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = answers.pop(0) if answers else (200, b"[]")
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def address_string(self) -> str:
            return "unix"

        def log_message(self, *_args: object) -> None:
            return None

    server = _Server(str(path), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def sock(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "api.sock"


def test_a_listing_lost_to_a_removal_is_asked_again(sock: Path) -> None:
    answers = [(500, RACE), (500, RACE), (200, json.dumps([{"Id": "x"}]).encode())]
    server = _serving(sock, answers)
    try:
        assert ApiReader(str(sock)).get("/images/json") == [{"Id": "x"}]
        assert answers == []
    finally:
        server.shutdown()


def test_other_errors_and_a_lasting_race_are_errors(sock: Path) -> None:
    answers = [(500, b'{"message": "boom"}')] + [(500, RACE)] * LISTING_ATTEMPTS
    server = _serving(sock, answers)
    try:
        with pytest.raises(EngineUnavailable, match="boom"):
            ApiReader(str(sock)).get("/images/json")
        with pytest.raises(EngineUnavailable, match="image not known"):
            ApiReader(str(sock)).get("/images/json")
        assert answers == []
    finally:
        server.shutdown()


def test_responses_are_read_by_length_by_chunks_or_to_the_end() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    assert response(head + b"Content-Length: 4\r\n\r\n[1]\nextra", "s") == (200, b"[1]\n")
    chunked = head + b"Transfer-Encoding: chunked\r\n\r\n3\r\n[1,\r\n2;x=y\r\n2]\r\n0\r\n\r\n"
    assert response(chunked, "s") == (200, b"[1,2]")
    assert response(b"HTTP/1.0 404 Not Found\r\n\r\n{}", "s") == (404, b"{}")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage",
        b"HTTP/1.1 OK\r\n\r\n",
        b"HTTP/1.1 200\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_what_is_not_http_is_engine_unavailable(data: bytes) -> None:
    with pytest.raises(EngineUnavailable, match="answered something that is not HTTP"):
        response(data, "/run/x.sock")
