"""Safety on real podman: envman touches only what it made, one writer per environment, crashes.

Crash points use ENVMAN_FAULT (envman kills itself with SIGKILL at a named step), not sleeps.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.errors import ExitCode
from envman.host.writer_locks import holder, is_held
from tests.integration.envman_cli import ENVMAN, PROFILE_IMAGE, Envman, podman, unique

pytestmark = pytest.mark.podman

PROFILE = """\
envman: 1
name: {name}
image: {image}
env: {{GREETING: "{greeting}"}}
hooks:
  - run: [sh, -c, "echo built > /etc/marker"]
{extra}
"""


@pytest.fixture
def name(envman: Envman) -> Iterator[str]:
    env_name = unique("safe")
    yield env_name
    envman.run("rm", "--yes", "--force-state", env_name)


def write(envman: Envman, name: str, greeting: str = "hi", extra: str = "") -> None:
    text = PROFILE.format(name=name, image=PROFILE_IMAGE, greeting=greeting, extra=extra)
    envman.write_profile(name, text)


def image_of(name: str) -> str:
    return podman("inspect", "--format", "{{.ImageName}}", name).stdout.strip()


def containers_named(prefix: str) -> list[str]:
    out = podman("ps", "-a", "--format", "{{.Names}}", "--filter", f"name={prefix}").stdout
    return sorted(n for n in out.split() if n.startswith(prefix))


def consistent(envman: Envman, name: str) -> None:
    """ls, status, history, run and podman ps agree on one container that runs the record."""
    assert containers_named(name) == [name]
    rows = json.loads(envman.run("ls", "--json", check=True).stdout)
    assert [r["name"] for r in rows if r["name"].startswith(name)] == [name]
    status = json.loads(envman.run("status", name, "--json", check=True).stdout)
    assert status["exists"] and status["state"] == "running"
    history = json.loads(envman.run("history", name, "--json", check=True).stdout)
    current = [h for h in history if h["current"]]
    assert len(current) == 1
    running_image = podman("inspect", "--format", "{{.Image}}", name).stdout.strip()
    assert running_image.startswith(current[0]["image_id"])
    state = json.loads((envman.root / "state/envman/envs" / f"{name}.json").read_text())
    assert state["image_id"] == running_image
    container_id = podman("inspect", "--format", "{{.Id}}", name).stdout.strip()
    assert state["container_id"] == container_id
    assert envman.run("run", name, "--", "cat", "/etc/marker", check=True).stdout == "built\n"
    assert not (envman.root / "state/envman/journal" / f"{name}.json").exists()


def test_rm_keeps_an_image_another_container_uses(envman: Envman, name: str) -> None:
    write(envman, name)
    envman.run("up", name, check=True)
    image = image_of(name)
    mine = unique("mine")
    assert podman("create", "--name", mine, image, "sleep", "1000").returncode == 0
    try:
        removed = envman.run("rm", "--yes", name)
        assert removed.returncode == 0, removed.stderr
        assert f"used by container(s) {mine}" in removed.stderr
        assert "0 image(s)" in removed.stdout
        assert podman("container", "exists", mine).returncode == 0
        assert podman("container", "exists", name).returncode != 0
    finally:
        podman("rm", "-f", mine)
    leftover = podman("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    for tag in leftover:
        if tag.startswith(f"localhost/envman/{name}:"):
            podman("rmi", tag)


def test_containers_made_from_envman_images_are_not_envmans(envman: Envman, name: str) -> None:
    write(envman, name)
    envman.run("up", name, check=True)
    toolbox_like = unique("tb")
    assert podman("create", "--name", toolbox_like, image_of(name), "true").returncode == 0
    try:
        listed = [r["name"] for r in json.loads(envman.run("ls", "--json", check=True).stdout)]
        assert name in listed and toolbox_like not in listed
        # a profile of that name does not take the container over
        write(envman, toolbox_like)
        clash = envman.run("up", toolbox_like)
        assert clash.returncode == ExitCode.NAME_CLASH, clash.stderr
        assert podman("container", "exists", toolbox_like).returncode == 0
        gone = envman.run("rm", "--yes", toolbox_like)
        assert gone.returncode == ExitCode.NAME_CLASH, gone.stderr
        assert podman("container", "exists", toolbox_like).returncode == 0
    finally:
        podman("rm", "-f", toolbox_like)


def test_gc_keeps_an_old_image_another_container_uses(envman: Envman, name: str) -> None:
    write(envman, name, extra=_build_hook("1"))
    envman.run("up", name, check=True)
    first = image_of(name)
    mine = unique("mine")
    assert podman("create", "--name", mine, first, "true").returncode == 0
    try:
        for version in ("2", "3"):
            write(envman, name, extra=_build_hook(version))
            envman.run("up", name, check=True)
        collected = envman.run("gc", "--keep", "1")
        assert collected.returncode == 0, collected.stderr
        assert mine in collected.stderr
        assert podman("container", "exists", mine).returncode == 0
    finally:
        podman("rm", "-f", mine)
    consistent(envman, name)


def _build_hook(version: str) -> str:
    return f"  - run: [sh, -c, 'echo {version} > /etc/version']"


def _slow_up(envman: Envman, name: str) -> subprocess.Popen[str]:
    """An `up` that holds the environment for a while: its create hook waits for a file."""
    gate = envman.root / "gate"
    write(envman, name, greeting="slow", extra=_create_hook_waiting_for(gate))
    return subprocess.Popen(
        [ENVMAN, "up", name],
        env=envman.env,
        cwd=envman.work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _create_hook_waiting_for(gate: Path) -> str:
    return f"  - run: [sh, -c, 'while [ ! -e {gate} ]; do sleep 0.1; done']\n    when: create\n"


def _wait_until_locked(envman: Envman, name: str) -> int:
    lock = envman.root / "state/envman/locks" / f"env-{name}.lock"
    for _ in range(3000):
        pid = holder(lock)
        if is_held(lock) and pid is not None:
            return pid
        time.sleep(0.1)
    raise AssertionError("the slow up never took the lock")


def test_rm_gc_rollback_and_a_second_up_wait_or_refuse_during_up(envman: Envman, name: str) -> None:
    write(envman, name)
    envman.run("up", name, check=True)
    slow = _slow_up(envman, name)
    try:
        pid = _wait_until_locked(envman, name)
        for args in (("rm", "--yes", name), ("rollback", name), ("up", name)):
            busy = envman.run(*args)
            assert busy.returncode == ExitCode.BUSY, (args, busy.stderr)
            assert f"busy: another envman (pid {pid}) is changing {name}" in busy.stderr
            assert "--wait" in busy.stderr
        gc = envman.run("gc", "--keep", "1")
        assert gc.returncode == 0 and f"skipped {name}: busy" in gc.stderr
        waiting = subprocess.Popen(
            [ENVMAN, "up", "--wait", name], env=envman.env, cwd=envman.work, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        (envman.root / "gate").touch()
        out, err = slow.communicate(timeout=300)
        assert slow.returncode == 0, err
        assert "recreated" in out
        out, err = waiting.communicate(timeout=300)
        assert waiting.returncode == 0, err
        assert "up-to-date" in out
    finally:
        (envman.root / "gate").touch()
        slow.kill()
    consistent(envman, name)
    assert len(json.loads(envman.run("history", name, "--json", check=True).stdout)) == 2


CRASH_POINTS = [
    "swap:old-moved",
    "swap:created",
    "swap:set-up",
    "commit:journaled",
    "commit:state-written",
    "commit:history-written",
]


@pytest.mark.parametrize("step", CRASH_POINTS)
def test_a_crash_during_a_swap_is_repaired_by_the_next_command(
    envman: Envman, name: str, step: str
) -> None:
    write(envman, name)
    envman.run("up", name, check=True)
    write(envman, name, greeting="changed")
    crashed = envman.run("up", name, extra_env={"ENVMAN_FAULT": step})
    assert crashed.returncode == -9, crashed.stderr
    # run works before anything repairs: the run-file names a container that exists
    assert envman.run("run", name, "--", "true").returncode == 0
    listed = envman.run("ls", "--json", check=True)
    assert name in [r["name"] for r in json.loads(listed.stdout)]
    finished = envman.run("up", name, check=True)
    assert "recreated" in finished.stdout or "up-to-date" in finished.stdout
    consistent(envman, name)
    greeting = envman.run("run", name, "--", "sh", "-c", "echo $GREETING", check=True)
    assert greeting.stdout == "changed\n"


def test_containerenv_names_the_environment(envman: Envman, name: str) -> None:
    write(envman, name)
    envman.run("up", name, check=True)
    write(envman, name, greeting="again")
    envman.run("up", name, check=True)
    containerenv = envman.run("run", name, "--", "cat", "/run/.containerenv", check=True).stdout
    assert f'name="{name}"' in containerenv


def test_a_full_state_disk_keeps_the_old_environment(envman: Envman, name: str) -> None:
    write(envman, name)
    envman.run("up", name, check=True)
    state = envman.root / "state" / "envman"
    backup = envman.root / "state-backup"
    subprocess.run(["cp", "-a", str(state), str(backup)], check=True)
    mount = ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(state)]
    assert subprocess.run(mount, check=False).returncode == 0
    try:
        subprocess.run(["cp", "-a", f"{backup}/.", str(state)], check=True)
        subprocess.run(
            ["dd", "if=/dev/zero", f"of={state}/fill", "bs=4k"], capture_output=True, check=False
        )
        write(envman, name, greeting="changed")
        full = envman.run("up", name)
        assert full.returncode == ExitCode.STATE_CORRUPT, full.stderr
        assert "No space left on device" in full.stderr and "Traceback" not in full.stderr
        assert containers_named(name) == [name]
        assert envman.run("run", name, "--", "sh", "-c", "echo $GREETING").stdout == "hi\n"
        (state / "fill").unlink()
        envman.run("up", name, check=True)
        consistent(envman, name)
    finally:
        subprocess.run(["umount", "-l", str(state)], check=False)
