"""Where podman is: the one rule every command follows (CONTAINER_HOST, else local podman)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from envman.engine.location import locate, remote_socket
from envman.errors import EngineUnavailable, ExitCode


def test_local_podman_without_container_host() -> None:
    assert remote_socket({}) is None
    assert remote_socket({"CONTAINER_HOST": ""}) is None
    assert locate({}) is None


def test_container_host_names_the_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "podman.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(1)
        assert locate({"CONTAINER_HOST": f"unix://{path}"}) == path


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({"CONTAINER_HOST": "ssh://core@box/run/podman.sock"}, "unix socket only"),
        ({"CONTAINER_HOST": "tcp://localhost:8080"}, "unix socket only"),
        ({"CONTAINER_HOST": "unix://"}, "unix socket only"),
        ({"CONTAINER_CONNECTION": "remote-box"}, "not through named connections"),
    ],
)
def test_what_envman_cannot_follow_is_refused(environ: dict[str, str], words: str) -> None:
    with pytest.raises(EngineUnavailable) as caught:
        remote_socket(environ)
    assert words in caught.value.message and caught.value.hint
    assert caught.value.exit_code == ExitCode.ENGINE_UNAVAILABLE


def test_a_socket_nobody_listens_on_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "stale.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)  # the file stays, nothing listens: a service that died
    with pytest.raises(EngineUnavailable) as caught:
        locate({"CONTAINER_HOST": f"unix://{path}"})
    assert caught.value.message == (
        f"podman at CONTAINER_HOST=unix://{path} does not answer: Connection refused"
    )
    assert "unset CONTAINER_HOST" in (caught.value.hint or "")
