"""`envman doctor` on real podman: what it says matches what `envman run` and a crash really do."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from envman.errors import ExitCode
from tests.integration import test_rootless
from tests.integration.envman_cli import PROFILE_IMAGE, Envman, make_envman, unique

pytestmark = pytest.mark.podman

rootless = test_rootless.rootless  # the fixture: envman as the user tester, rootless podman
API = {"ENVMAN_RUN_VIA": "api"}


def doctor(envman: Envman, extra_env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """Exit status and the checks by name (a name that repeats keeps its last check)."""
    done = envman.run("doctor", "--json", extra_env=extra_env)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, {c["name"]: c for c in json.loads(done.stdout)}


def profile(envman: Envman, name: str, greeting: str = "hi") -> None:
    envman.write_profile(
        name, f'envman: 1\nimage: {PROFILE_IMAGE}\nenv: {{GREETING: "{greeting}"}}\n'
    )


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Envman, str]]:
    envman = make_envman(tmp_path_factory.mktemp("doctor"))
    name = unique("itest-doctor")
    profile(envman, name)
    envman.run("up", name, check=True)  # uses or starts an API service
    yield envman, name
    envman.run("rm", "--yes", "--force-state", name)


def test_podman_and_the_api_path_that_run_really_takes(box: tuple[Envman, str]) -> None:
    envman, name = box
    # `up` left a service that answers; on a busy machine one ping may still miss 50 ms
    for _ in range(3):
        code, checks = doctor(envman)
        if checks["run path"]["detail"].startswith("API: "):
            break
    assert code == 0, checks
    assert checks["podman"]["status"] == "ok"
    assert checks["podman info"]["status"] == "ok"
    assert checks["podman info"]["detail"].startswith("rootful, runtime ")
    assert checks["subuid/subgid"]["status"] == "ok"
    assert checks["run path"]["status"] == "ok"
    socket = checks["run path"]["detail"].removeprefix("API: ")
    assert Path(socket).is_socket()
    # what doctor named is the socket run uses: run with only it, and with the API required
    only = {**API, "CONTAINER_HOST": f"unix://{socket}"}
    assert envman.run("run", name, "--", "true", extra_env=only).returncode == 0


def test_without_a_service_doctor_and_run_both_fall_back(
    box: tuple[Envman, str], tmp_path: Path
) -> None:
    envman, name = box
    if Path("/run/podman/podman.sock").exists():
        pytest.skip("a rootful podman.socket answers here for every root process")
    runtime = tmp_path / "run"  # a runtime dir with no service in it
    runtime.mkdir(mode=0o700)
    env = {"XDG_RUNTIME_DIR": str(runtime)}
    code, checks = doctor(envman, env)
    assert code == 0
    assert checks["run path"]["status"] == "warn"
    assert checks["run path"]["detail"].startswith("fallback: podman exec")
    assert "podman.socket" in checks["run path"]["fix"]
    refused = envman.run("run", name, "--", "true", extra_env={**env, **API})
    assert refused.returncode == ExitCode.ENGINE_UNAVAILABLE
    assert envman.run("run", name, "--", "true", extra_env=env).returncode == 0


def test_run_via_podman_is_reported_as_the_fallback(box: tuple[Envman, str]) -> None:
    envman, _ = box
    _, checks = doctor(envman, {"ENVMAN_RUN_VIA": "podman"})
    assert checks["run path"]["detail"] == "fallback: podman exec (forced by ENVMAN_RUN_VIA=podman)"


def test_an_unreachable_container_host_fails_with_exit_1(
    box: tuple[Envman, str], tmp_path: Path
) -> None:
    envman, _ = box
    done = envman.run("doctor", extra_env={"CONTAINER_HOST": f"unix://{tmp_path}/none.sock"})
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    failed = [i for i, line in enumerate(lines) if line.startswith("fail  CONTAINER_HOST")]
    assert failed, done.stdout
    assert "fix: start the service behind it, or unset CONTAINER_HOST" in lines[failed[0] + 1]


def test_a_crashed_swap_warns_until_the_next_command_repairs_it(tmp_path: Path) -> None:
    envman = make_envman(tmp_path)
    name = unique("itest-doctor-swap")
    profile(envman, name)
    try:
        envman.run("up", name, check=True)
        assert doctor(envman)[1]["swaps"]["status"] == "ok"
        profile(envman, name, greeting="changed")
        crashed = envman.run("up", name, extra_env={"ENVMAN_FAULT": "swap:created"})
        assert crashed.returncode == -9, crashed.stderr
        code, checks = doctor(envman)
        assert code == 0  # a warning, not a failure: the environment still runs
        swap = checks["swaps"]
        assert (swap["status"], swap["fix"]) == (
            "warn",
            f"`envman up {name}` (or `envman ls`) finishes or undoes it",
        )
        assert swap["detail"].startswith(f"{name}: ")
        envman.run("ls", check=True)
        assert doctor(envman)[1]["swaps"] == {
            "name": "swaps",
            "status": "ok",
            "detail": "no half-done swap",
            "fix": "",
        }
    finally:
        envman.run("rm", "--yes", "--force-state", name)


@pytest.mark.rootless
def test_rootless_user_has_subids_and_podman_is_rootless(rootless: Envman) -> None:
    # The user's first podman call of a run sets up its store and namespace, which can take longer
    # than doctor's 10 s budget for `podman info` on a busy machine: that call is not doctor's.
    warm = subprocess.run([*rootless.prefix, "podman", "info"], capture_output=True, check=False)
    assert warm.returncode == 0, warm.stderr
    _, checks = doctor(rootless)
    assert checks["subuid/subgid"] == {
        "name": "subuid/subgid",
        "status": "ok",
        "detail": "tester has 65536 or more in both",
        "fix": "",
    }
    assert checks["podman"]["status"] == "ok"
    assert checks["podman info"]["detail"].startswith("rootless, runtime ")
    assert checks["state dir"]["status"] == "ok"
