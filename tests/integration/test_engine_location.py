"""One rule for where podman is: a dead CONTAINER_HOST is exit 6 in every command, never local."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import PROFILE_IMAGE, Envman, make_envman, unique

pytestmark = pytest.mark.podman


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Envman, str]]:
    root = tmp_path_factory.mktemp("where")
    runtime = root / "runtime"
    runtime.mkdir(mode=0o700)
    envman = make_envman(root, user_env={"XDG_RUNTIME_DIR": str(runtime)})
    envman.env.pop("CONTAINER_HOST", None)
    envman.env.pop("CONTAINER_CONNECTION", None)
    name = unique("itest-where")
    envman.write_profile(name, f"envman: 1\nimage: {PROFILE_IMAGE}\n")
    envman.run("up", name, check=True)
    yield envman, name
    envman.run("rm", "--yes", name)
    pidfile = runtime / "envman" / "podman-service.pid"
    if pidfile.exists():  # the private service this module's commands started
        os.kill(int(pidfile.read_text()), signal.SIGTERM)


def _stale_socket(directory: Path) -> Path:
    path = directory / "podman.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))  # the file stays and nothing listens: a service that died
    return path


@pytest.mark.parametrize("stale", [False, True], ids=["missing-socket", "stale-socket"])
@pytest.mark.parametrize(
    "args", [["up"], ["ls"], ["run", "NAME", "--", "true"], ["enter", "NAME"], ["status"]]
)
def test_dead_container_host_is_engine_unavailable(
    made: tuple[Envman, str], tmp_path: Path, args: list[str], stale: bool
) -> None:
    envman, name = made
    dead = _stale_socket(tmp_path) if stale else tmp_path / "nothing.sock"
    argv = [name if a == "NAME" else a for a in args]
    argv += [name] if argv in (["up"], ["status"]) else []
    result = envman.run(*argv, extra_env={"CONTAINER_HOST": f"unix://{dead}"}, input_text="")
    assert result.returncode == ExitCode.ENGINE_UNAVAILABLE, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith(f"envman: error: podman at CONTAINER_HOST=unix://{dead} ")
    assert lines[1].startswith("hint: start its service") and "unset CONTAINER_HOST" in lines[1]
    assert "private podman API service" not in result.stderr


def test_a_live_container_host_is_used_by_every_command(made: tuple[Envman, str]) -> None:
    envman, name = made
    private = Path(envman.env["XDG_RUNTIME_DIR"]) / "envman" / "podman.sock"
    live = private if private.exists() else Path("/run/podman/podman.sock")
    host = {"CONTAINER_HOST": f"unix://{live}"}
    listed = envman.run("ls", "--json", extra_env=host)
    assert listed.returncode == 0 and name in listed.stdout, listed.stderr
    assert "private podman API service" not in listed.stderr
    assert envman.run("status", name, extra_env=host).returncode == 0
    ran = envman.run("run", name, "--", "echo", "inside", extra_env=host)
    assert (ran.returncode, ran.stdout) == (0, "inside\n"), ran.stderr
