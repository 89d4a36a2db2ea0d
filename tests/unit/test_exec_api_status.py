"""The API path's exit status: a service that drops a connection is asked again, never skipped."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.engine import exec_api
from envman.errors import EngineUnavailable

ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 34\r\n\r\n"
    b'{"Running": false, "ExitCode": 3}\n'
)


def serve(path: Path, answers: list[bytes | None]) -> Iterator[None]:
    """A unix socket that gives each connection the next answer (None: close it unanswered)."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(8)

    def loop() -> None:
        for answer in answers:
            conn, _ = server.accept()
            with conn:
                conn.recv(65536)
                if answer is not None:
                    conn.sendall(answer)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    server.close()


@pytest.fixture
def sock_path(tmp_path: Path) -> Path:
    return tmp_path / "api.sock"


def test_a_dropped_connection_is_asked_again(sock_path: Path) -> None:
    for _ in serve(sock_path, [None, None, ANSWER]):
        assert exec_api.exit_code(str(sock_path), "abc") == 3


def test_a_service_that_never_answers_is_an_error_not_no_service(sock_path: Path) -> None:
    for _ in serve(sock_path, [None] * 200):
        with pytest.raises(EngineUnavailable) as info:
            exec_api.exit_code(str(sock_path), "abc")
    assert "exit status" in info.value.message
