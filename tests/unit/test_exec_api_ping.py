"""Which service `envman run` uses: a slow one only when ENVMAN_RUN_VIA=api leaves no fallback."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from envman.engine import exec_api
from envman.ops import doctor


def slow_service(path: Path, delay: float) -> socket.socket:
    """A socket whose service answers each ping `delay` seconds late (a busy machine)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(4)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                conn.recv(4096)
                time.sleep(delay)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")
            except OSError:  # the client gave up waiting
                pass
            finally:
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener


def test_a_slow_service_is_used_only_when_forced(tmp_path: Path) -> None:
    (tmp_path / "podman").mkdir()
    listener = slow_service(tmp_path / "podman" / "podman.sock", delay=0.5)
    env = {"XDG_RUNTIME_DIR": str(tmp_path)}
    try:
        with pytest.raises(exec_api.NoService):
            exec_api.open_service(env, 1000)
        path, sock = exec_api.open_service({**env, "ENVMAN_RUN_VIA": "api"}, 1000)
        sock.close()
        assert path == str(tmp_path / "podman" / "podman.sock")
    finally:
        listener.close()


def test_doctor_says_a_forced_api_path_waits_for_a_slow_service(tmp_path: Path) -> None:
    sock = tmp_path / "podman" / "podman.sock"
    sock.parent.mkdir()
    sock.touch()

    def ping(path: str, timeout: float) -> bool:
        return path == str(sock) and timeout >= doctor.SLOW_PING

    env = {"XDG_RUNTIME_DIR": str(tmp_path), "ENVMAN_RUN_VIA": "api"}
    check = doctor.run_path(env, doctor.Probes(uid=1000, ping=ping))
    assert check.status == "warn"
    assert check.detail == f"API: {sock} answers slowly; ENVMAN_RUN_VIA=api waits for it"
