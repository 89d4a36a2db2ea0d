"""`envman up` on real podman: build with apt, no-op second up, rebuild, recreate, status, rm."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import (
    ENVMAN,
    PROFILE_IMAGE,
    Envman,
    labelled,
    podman,
    unique,
)

pytestmark = pytest.mark.podman

PROFILE = """\
envman: 1
name: {name}
version: "{version}"
image: {image}
packages: [{packages}]
env:
  ITEST_VAR: "{var}"
hooks:
  - run: [sh, -c, "echo baked > /etc/envman-itest"]
  - run: [sh, -c, "echo $$ > /tmp/{name}-started"]
    when: start
  - sh: "id -un > /etc/envman-created-by"
    when: create
"""


def profile(name: str, *, packages: str = "less", var: str = "one", version: str = "1.0") -> str:
    return PROFILE.format(
        name=name, image=PROFILE_IMAGE, packages=packages, var=var, version=version
    )


@pytest.fixture
def name(envman: Envman) -> Iterator[str]:
    env_name = unique("itest")
    yield env_name
    envman.run("rm", "--yes", env_name)


def test_up_builds_then_is_a_noop_then_rebuilds_and_recreates(envman: Envman, name: str) -> None:
    envman.write_profile(name, profile(name))
    first = envman.json("up", name)
    assert first["action"] == "created" and first["built"] is True
    assert (
        envman.run("run", name, "--", "dpkg", "-s", "less").returncode == 0
    )  # apt really installed it
    assert envman.run("run", name, "--", "cat", "/etc/envman-itest", check=True).stdout == "baked\n"
    image_labels = podman(
        "image",
        "inspect",
        first["image"],
        "--format",
        '{{index .Labels "envman.profile"}} {{index .Labels "envman.hash"}}',
    ).stdout.split()
    assert image_labels == [name, first["content_hash"]]
    images_before = labelled("images", f"envman.profile={name}")

    second = envman.run("up", name, check=True)
    assert second.stdout.strip() == f"{name}: up-to-date (image {first['image']})"
    assert "building" not in second.stderr and "STEP" not in second.stderr  # nothing was built
    assert labelled("images", f"envman.profile={name}") == images_before
    container_id = podman("inspect", name, "--format", "{{.Id}}").stdout.strip()

    envman.write_profile(name, profile(name, packages="less, jq", version="1.1"))
    stale = envman.run("status", name, "--json")
    assert stale.returncode == 1, stale.stderr  # stale: status exits 1, as git diff --exit-code
    status = json.loads(stale.stdout)
    assert status["stale"] is True and status["plan"]["action"] == "rebuilt"
    assert status["reasons"][0].startswith("build: the profile's build content changed")
    third = envman.json("up", name)
    assert third["action"] == "rebuilt" and third["image"] != first["image"]
    assert third["plan"]["steps"] == status["plan"]["steps"]  # up did what status said
    assert envman.run("run", name, "--", "jq", "--version").returncode == 0
    assert podman("inspect", name, "--format", "{{.Id}}").stdout.strip() != container_id
    assert podman("image", "exists", first["image"]).returncode == 0  # the previous image is kept
    assert envman.json("status", name)["stale"] is False

    envman.write_profile(name, profile(name, packages="less, jq", var="two", version="1.1"))
    fourth = envman.json("up", name)
    assert fourth["action"] == "recreated" and fourth["built"] is False
    assert envman.run("run", name, "--", "printenv", "ITEST_VAR", check=True).stdout == "two\n"

    listed = [row["name"] for row in envman.json("ls")]
    assert name in listed

    removed = envman.run("rm", "--yes", name, check=True)
    assert "removed 1 container(s), 2 image(s)" in removed.stdout
    assert labelled("ps", f"envman.profile={name}") == []
    assert labelled("images", f"envman.profile={name}") == []
    assert not (envman.root / "state" / "envman" / "envs" / f"{name}.json").exists()
    assert not (envman.root / "state" / "envman" / "run" / name).exists()
    gone = envman.run("run", name, "--", "true")
    assert gone.returncode == ExitCode.ENV_NOT_FOUND and "envman up" in gone.stderr


def test_stop_then_run_starts_it_again_and_start_hooks_run(envman: Envman, name: str) -> None:
    envman.write_profile(name, profile(name))
    envman.run("up", name, check=True)
    started = Path(f"/tmp/{name}-started")
    assert started.exists()
    first_pid = started.read_text()
    assert envman.run("stop", name, check=True).stdout.strip() == f"{name}: stopped"
    assert podman("inspect", name, "--format", "{{.State.Status}}").stdout.strip() == "exited"
    assert envman.run("run", name, "--", "true").returncode == 0
    assert podman("inspect", name, "--format", "{{.State.Status}}").stdout.strip() == "running"
    assert started.read_text() != first_pid  # the start hook ran again
    up_again = envman.json("up", name)
    assert up_again["action"] == "up-to-date"
    envman.run("stop", name, check=True)
    assert envman.json("up", name)["action"] == "started"
    assert (
        envman.run("run", name, "--", "cat", "/etc/envman-created-by", check=True).stdout
        == "root\n"
    )
    started.unlink()


def test_init_profile_runs_systemd_and_its_start_hooks(envman: Envman, name: str) -> None:
    canary = Path(f"/tmp/{name}-canary")  # systemd's tmpfiles empties /tmp at boot: not the host's
    canary.write_text("keep me\n")
    envman.write_profile(
        name,
        f"""\
envman: 1
image: {PROFILE_IMAGE}
integration: {{init: true}}
hooks:
  - run: [sh, -c, "date +%s%N > /run/envman-start-hook"]
    when: start
""",
    )
    envman.run("up", name, check=True)
    state = envman.run(
        "run",
        name,
        "--",
        "sh",
        "-c",
        "for i in $(seq 50); do s=$(systemctl is-system-running); "
        "case $s in running|degraded) break;; esac; sleep 0.2; done; echo $s",
    )
    assert state.stdout.split()[-1] in ("running", "degraded"), state.stdout + state.stderr
    assert envman.run("run", name, "--", "cat", "/proc/1/comm", check=True).stdout == "systemd\n"
    assert envman.run("run", name, "--", "test", "-s", "/run/envman-start-hook").returncode == 0
    envman.run("stop", name, check=True)
    assert envman.run("run", name, "--", "true").returncode == 0  # starts it again
    assert canary.read_text() == "keep me\n"
    canary.unlink()


def test_host_hooks_shipped_hooks_and_rebuild(envman: Envman, name: str) -> None:
    marker = envman.root / "host-hook-ran"
    envman.write_profile(
        name,
        f"""\
envman: 1
image: {PROFILE_IMAGE}
hooks:
  - run: [sh, -c, "echo $PWD > {marker}"]
    when: host
  - script: host-exec.sh
    args: [flatpak, xdg-open]
""",
    )
    first = envman.json("up", name)
    assert marker.read_text().strip() == str(envman.work / "profiles")  # ran on the host, there
    wrapper = envman.run("run", name, "--", "cat", "/usr/local/bin/xdg-open", check=True).stdout
    assert "flatpak-spawn --host" in wrapper
    opened = envman.run("run", name, "--", "xdg-open", "https://example.org")
    assert opened.returncode != 0  # no Flatpak session helper on this host: a clear failure
    marker.unlink()
    assert envman.json("up", name)["action"] == "up-to-date" and not marker.exists()  # no build
    rebuilt = envman.run("rebuild", name, check=True)
    assert rebuilt.stdout.startswith(f"{name}: rebuilt") and marker.exists()
    assert "STEP" in rebuilt.stderr and "Using cache" not in rebuilt.stderr
    assert envman.json("status", name)["stale"] is False
    assert first["content_hash"] == envman.json("status", name)["profile_hash"]


def test_build_output_streams_live(envman: Envman, name: str) -> None:
    envman.write_profile(
        name,
        f"""\
envman: 1
image: {PROFILE_IMAGE}
hooks:
  - run: [sh, -c, "echo live-marker-{name}; sleep 6"]
""",
    )
    proc = subprocess.Popen(
        [ENVMAN, "up", name],
        env=envman.env,
        cwd=envman.work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if f"live-marker-{name}" in line and "RUN" not in line:
            break
    still_building = proc.poll() is None  # the line arrived while the step was still sleeping
    proc.communicate(timeout=300)
    assert still_building and proc.returncode == 0
