"""Boxes on real podman: up --image, several names, FILE.ini sections, upgrade, ephemeral."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import (
    BASE_IMAGE,
    ENVMAN,
    Envman,
    labelled,
    make_envman,
    podman,
    unique,
)

pytestmark = pytest.mark.podman


@pytest.fixture
def names(envman: Envman) -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    if made:
        envman.run("rm", "--yes", *made)


def exists(name: str) -> bool:
    return podman("container", "exists", name).returncode == 0


def boxes_dir(envman: Envman) -> Path:
    return envman.root / "state" / "envman" / "boxes"


def test_image_boxes_and_several_names(envman: Envman, names: list[str], tmp_path: Path) -> None:
    one = unique("ibox")
    names.append(one)
    created = envman.json("up", "-q", "--image", BASE_IMAGE, one)
    assert created["action"] == "created"
    assert envman.json("up", one)["action"] == "up-to-date"  # by name, no profile here
    assert envman.run("status", one).returncode == 0
    row = next(r for r in envman.json("ls") if r["name"] == one)
    assert row["address"] == str(boxes_dir(envman) / one / f"{one}.yaml")

    missing = unique("nobox")
    stopped = envman.run("stop", missing, one, "--json")
    assert stopped.returncode == ExitCode.ENV_NOT_FOUND, stopped.stderr
    assert [(o["name"], o["ok"]) for o in json.loads(stopped.stdout)] == [
        (missing, False),
        (one, True),
    ]
    assert f"stop failed for 1 of 2: {missing}" in stopped.stderr
    state = podman("inspect", "--format", "{{.State.Status}}", one).stdout.strip()
    assert state in ("exited", "stopped"), state

    # --all is every environment of this envman, never another user's on the same podman
    other, theirs = make_envman(tmp_path / "other"), unique("theirs")
    other.run("up", "-q", "--image", BASE_IMAGE, theirs, check=True)
    try:
        refused = envman.run("rm", "--all")  # no terminal, no --yes: nothing removed
        assert refused.returncode == ExitCode.ABORTED and exists(one)
        everything = envman.run("rm", "--all", "--yes", "--json")
        assert everything.returncode == 0, everything.stderr
        assert [o["name"] for o in json.loads(everything.stdout)] == [one]
        assert not exists(one) and exists(theirs)
        assert labelled("images", f"envman.profile={one}") == []
        assert not (boxes_dir(envman) / one).exists()
        names.clear()
    finally:
        removed = other.run("rm", "--yes", missing, theirs)
    assert removed.returncode == ExitCode.ENV_NOT_FOUND, removed.stderr
    assert f"{theirs}: removed 1 container(s), 1 image(s)" in removed.stdout
    assert f"rm failed for 1 of 2: {missing}" in removed.stderr
    assert not exists(theirs)


def test_up_of_an_ini_file_brings_up_every_section(envman: Envman, names: list[str]) -> None:
    alpha, beta = unique("sect"), unique("sect")
    ini = envman.work / "team.ini"
    ini.write_text(f"[{alpha}]\nimage={BASE_IMAGE}\n\n[{beta}]\nimage={BASE_IMAGE}\n")
    names += [alpha, beta]
    done = envman.json("up", "-q", "team.ini")
    assert [(o["name"], o["ok"], o["result"]["action"]) for o in done] == [
        (f"team.ini#{alpha}", True, "created"),
        (f"team.ini#{beta}", True, "created"),
    ]
    assert exists(alpha) and exists(beta)
    assert envman.json("up", f"team.ini#{alpha}")["action"] == "up-to-date"


def test_upgrade_rebuilds_keeping_a_local_base_and_fails_fast_offline(
    envman: Envman, names: list[str]
) -> None:
    local, remote = unique("upg"), unique("upg")
    names += [local, remote]
    envman.run("up", "-q", "--image", BASE_IMAGE, local, check=True)
    before = podman("inspect", "--format", "{{.Id}}", local).stdout.strip()
    upgraded = envman.run("upgrade", "-q", local)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "base: kept the local base localhost/debian:bookworm" in upgraded.stdout
    assert podman("inspect", "--format", "{{.Id}}", local).stdout.strip() != before
    assert [g["number"] for g in envman.json("history", local)] == [2, 1]

    # a base named by a registry that does not answer: a clear error at once, nothing changed
    offline = f"registry.envman-itest.invalid/debian:{remote}"
    podman("tag", BASE_IMAGE, offline)
    try:
        envman.run("up", "-q", "--image", offline, remote, check=True)
        container = podman("inspect", "--format", "{{.Id}}", remote).stdout.strip()
        started = time.monotonic()
        failed = envman.run("upgrade", remote)
        assert failed.returncode == ExitCode.REGISTRY_UNREACHABLE, failed.stderr
        assert time.monotonic() - started < 60  # a hang would time the whole run out instead
        assert "registry.envman-itest.invalid cannot be reached" in failed.stderr
        assert podman("inspect", "--format", "{{.Id}}", remote).stdout.strip() == container
    finally:
        envman.run("rm", "--yes", remote)
        names.remove(remote)
        podman("untag", BASE_IMAGE, offline)


def test_ephemeral_runs_then_removes_what_it_made(envman: Envman) -> None:
    done = envman.run(
        "ephemeral", "-q", "--image", BASE_IMAGE, "--",
        "sh", "-c", "grep '^name=' /run/.containerenv; exit 7",
    )  # fmt: skip
    assert done.returncode == 7, done.stderr
    name = done.stdout.strip().removeprefix('name="').removesuffix('"')
    assert name.startswith("ephemeral-")
    assert not exists(name)
    assert labelled("images", f"envman.profile={name}") == []
    assert list(boxes_dir(envman).iterdir()) == []

    failed = envman.run("ephemeral", "-q", "--image", f"localhost/{unique('none')}:1", "--", "true")
    assert failed.returncode != 0
    assert list(boxes_dir(envman).iterdir()) == []


def test_ephemeral_is_removed_on_sigterm(envman: Envman) -> None:
    runs = envman.root / "state" / "envman" / "run"
    proc = subprocess.Popen(
        [ENVMAN, "ephemeral", "-q", "--image", BASE_IMAGE, "--", "sleep", "600"],
        env=envman.env,
        cwd=envman.work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        name = ""
        while not name and proc.poll() is None:
            found = list(runs.glob("ephemeral-*")) if runs.is_dir() else []
            name = found[0].name if found else ""
            time.sleep(0.2)
        assert name, proc.stderr.read().decode() if proc.stderr else ""
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=120) == 128 + signal.SIGTERM
        assert not exists(name)
        assert list(boxes_dir(envman).iterdir()) == []
    finally:
        if proc.poll() is None:
            proc.kill()
