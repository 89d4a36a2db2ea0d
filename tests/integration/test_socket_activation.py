"""`envman run` against podman's own socket-activated service under a real systemd (issue 13).

A private `systemd --user` (tests/systemd_user.py) runs podman's shipped podman.socket and
podman.service units. With the service stopped and only its socket listening, the first `run`
does not wait for the service: its 50 ms ping goes unanswered, so it execs podman for this call,
and the connection it made starts the service, which the next `run` uses. bench/socket_activation.py
times that first call against podman's own.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import systemd_user
from tests.integration.envman_cli import PROFILE_IMAGE, Envman, make_envman, unique

pytestmark = pytest.mark.podman

# A root user manager gives its services XDG_RUNTIME_DIR, and podman as root would then keep
# its runtime state there, apart from the machine's: the service runs as rootful podman does.
ROOTFUL_SERVICE = "[Service]\nUnsetEnvironment=XDG_RUNTIME_DIR\n"


@pytest.fixture(scope="module")
def activated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], str]]:
    """The manager's environment, with podman.socket listening; the socket's path."""
    if os.geteuid() != 0 or not systemd_user.available():
        pytest.fail("this test needs root, unshare and systemd (scripts/setup-host --tests)")
    base = tmp_path_factory.mktemp("activation")
    dropin = base / "home" / ".config" / "systemd" / "user" / "podman.service.d" / "rootful.conf"
    dropin.parent.mkdir(parents=True)
    dropin.write_text(ROOTFUL_SERVICE)
    with systemd_user.user_manager(base) as env:
        started = systemctl_ok(env, "start", "podman.socket")
        assert started, systemd_user.systemctl(env, "status", "podman.socket").stdout
        yield env, str(base / "runtime" / "podman" / "podman.sock")


def systemctl_ok(env: dict[str, str], *args: str) -> bool:
    return systemd_user.systemctl(env, *args).returncode == 0


def service_state(env: dict[str, str]) -> str:
    return systemd_user.systemctl(env, "is-active", "podman.service").stdout.strip()


@pytest.fixture(scope="module")
def box(
    activated: tuple[dict[str, str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Envman, str, dict[str, str]]]:
    manager, socket = activated
    envman = make_envman(
        tmp_path_factory.mktemp("activated-box"), user_env={"CONTAINER_HOST": f"unix://{socket}"}
    )
    name = unique("itest-activated")
    envman.write_profile(name, f"envman: 1\nimage: {PROFILE_IMAGE}\n")
    envman.run("up", name, check=True)  # made through the activated service itself
    yield envman, name, manager
    envman.run("rm", "--yes", name)


def test_the_first_run_with_the_service_stopped_works_and_starts_it(
    box: tuple[Envman, str, dict[str, str]],
) -> None:
    envman, name, manager = box
    systemd_user.systemctl(manager, "stop", "podman.service")
    assert service_state(manager) == "inactive"
    assert systemctl_ok(manager, "is-active", "podman.socket")
    first = envman.run("run", name, "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (first.returncode, first.stdout, first.stderr) == (3, "out\n", "err\n")
    deadline = time.monotonic() + 10
    while service_state(manager) != "active" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service_state(manager) == "active"
    doctor = envman.run("doctor").stdout
    assert any(
        line.split()[:3] == ["ok", "run", "path"] and "API" in line for line in doctor.splitlines()
    ), doctor
    forced = envman.run("run", name, "--", "echo", "again", extra_env={"ENVMAN_RUN_VIA": "api"})
    assert (forced.returncode, forced.stdout) == (0, "again\n"), forced.stderr


def test_the_service_stopped_again_is_started_again(
    box: tuple[Envman, str, dict[str, str]], tmp_path: Path
) -> None:
    envman, name, manager = box
    for _ in range(2):
        systemd_user.systemctl(manager, "stop", "podman.service")
        result = envman.run("run", name, "--", "cat", input_text="piped\n")
        assert (result.returncode, result.stdout) == (0, "piped\n"), result.stderr
