"""envman.lock on real podman and git: pinned base digest and source commit, outdated, update."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import (
    BASE_IMAGE,
    PROFILE_IMAGE,
    REPO,
    Envman,
    labelled,
    make_envman,
    podman,
    unique,
)

pytestmark = pytest.mark.podman

BASE = """\
envman: 1
name: base
hooks:
  - run: [sh, -c, "echo {marker} > /etc/team-marker"]
"""

APP = """\
envman: 1
name: {name}
image: {image}
include: [base]
hooks:
  - run: [sh, -c, "echo {marker} > /etc/app-marker"]
"""


def git(*args: str, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


class Team:
    """A team's profile repository: a bare 'remote' and a clone to push from."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.env = env
        self.remote = root / "team.git"
        self.work = root / "team-work"
        git("init", "--quiet", "--bare", str(self.remote), cwd=root, env=env)
        git("clone", "--quiet", str(self.remote), str(self.work), cwd=root, env=env)

    def publish(self, marker: str) -> str:
        path = self.work / "profiles" / "base.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(BASE.format(marker=marker))
        git("add", "--all", cwd=self.work, env=self.env)
        git("commit", "--quiet", "-m", marker, cwd=self.work, env=self.env)
        git("push", "--quiet", "origin", "HEAD", cwd=self.work, env=self.env)
        return git("rev-parse", "HEAD", cwd=self.work, env=self.env)


@pytest.fixture
def envman(tmp_path: Path) -> Envman:
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Team\n\temail = team@example.org\n")
    return make_envman(
        tmp_path,
        user_env={"XDG_DATA_HOME": str(tmp_path / "data"), "GIT_CONFIG_GLOBAL": str(gitconfig)},
    )


@pytest.fixture
def name(envman: Envman) -> Iterator[str]:
    env_name = unique("locked")
    yield env_name
    envman.run("rm", "--yes", env_name)
    for image in labelled("images", f"envman.profile={env_name}"):
        podman("rmi", "--force", image)


def marker(envman: Envman, name: str, which: str) -> str:
    out = envman.run("run", name, "--", "cat", f"/etc/{which}-marker", check=True).stdout
    return out.strip()


def test_lock_pins_base_and_source_until_update(envman: Envman, name: str) -> None:
    team = Team(envman.root, envman.env)
    first = team.publish("team-1")
    envman.run("source", "add", "team", str(team.remote), check=True)
    envman.write_profile(name, APP.format(name=name, image=PROFILE_IMAGE, marker="app-1"))

    envman.run("lock", check=True)
    lock_path = envman.work / "profiles" / "envman.lock"
    text = lock_path.read_text()
    assert f"commit: {first}" in text and "team:profiles/base.yaml" in text
    assert f"{name}.yaml:" in text and re.search(r"digest: sha256:[0-9a-f]{64}", text)
    envman.run("lock", name, check=True)
    assert lock_path.read_text() == text, "the lock must be deterministic"

    envman.run("up", name, check=True)
    assert marker(envman, name, "team") == "team-1"
    base = podman("inspect", name, "--format", '{{index .Config.Labels "envman.base"}}').stdout
    assert base.strip() == BASE_IMAGE, "the tag still names the locked digest: built as unlocked"

    team.publish("team-2")
    envman.run("source", "sync", "team", check=True)
    assert "up-to-date" in envman.run("up", name, check=True).stdout
    assert marker(envman, name, "team") == "team-1"
    outdated = envman.run("outdated", "--json")
    assert outdated.returncode == 1, "outdated exits 1 when something is outdated"
    rows = json.loads(outdated.stdout)
    assert any(r["input"].startswith("source team@") and r["note"] == "moved" for r in rows)

    envman.run("update", name, check=True)
    assert "rebuilt" in envman.run("up", name, check=True).stdout
    assert marker(envman, name, "team") == "team-2"
    assert envman.run("outdated", check=True).stdout.strip() == "everything is as locked"

    envman.write_profile(name, APP.format(name=name, image=PROFILE_IMAGE, marker="app-2"))
    refused = envman.run("up", name)
    assert refused.returncode == ExitCode.LOCK_MISMATCH
    assert f"{name}.yaml changed since the lock was written" in refused.stderr
    assert "envman update" in refused.stderr and "Traceback" not in refused.stderr
    stale = envman.run("status", name)
    assert stale.returncode == 1 and "up refuses to build" in stale.stdout
    assert marker(envman, name, "app") == "app-1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("envman-lock: 2\nprofiles: [\n", "envman.lock:3: expected the node content"),
        ("envman-lock: 2\nprofiles: {}\nextra: 1\n", "envman.lock:3: extra: unknown key"),
        ("envman-lock: 1\nprofiles: {}\n", "envman-lock: must be 2"),
        (
            "envman-lock: 2\nprofiles:\n  x:\n    runtime:\n      env: nothex\n",
            "envman.lock:5: profiles.x.runtime.env: 'nothex' is not a sha256",
        ),
        (
            "envman-lock: 2\nprofiles:\n  x:\n    content_hash: nothex\n",
            "envman.lock:4: profiles.x.content_hash: 'nothex' is not a sha256",
        ),
    ],
)
def test_malformed_locks_are_clear_errors(envman: Envman, text: str, expected: str) -> None:
    envman.write_profile("lockbad", f"envman: 1\nname: lockbad\nimage: {PROFILE_IMAGE}\n")
    (envman.work / "profiles" / "envman.lock").write_text(text)
    result = envman.run("up", "lockbad")
    assert result.returncode == ExitCode.LOCK_INVALID, result.stderr
    assert expected in result.stderr and "Traceback" not in result.stderr


def test_a_lock_naming_a_missing_digest_is_refused(envman: Envman) -> None:
    app = "lockmissing"
    profile = f"envman: 1\nname: {app}\nimage: {PROFILE_IMAGE}\n"
    envman.write_profile(app, profile)
    envman.run("lock", app, check=True)
    lock_path = envman.work / "profiles" / "envman.lock"
    text = re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, lock_path.read_text())
    lock_path.write_text(text)
    result = envman.run("up", app)
    assert result.returncode == ExitCode.LOCK_MISMATCH
    assert f"the locked base image localhost/debian@sha256:{'0' * 64} is not here" in result.stderr
    assert envman.run("ls", "--json", check=True).stdout.count(app) == 0


def test_shipped_hooks_are_locked_by_a_name_every_install_shares(
    envman: Envman, tmp_path: Path
) -> None:
    app = unique("lockhook")
    mine = envman.root / "config" / "envman" / "hooks" / "mine.sh"
    mine.parent.mkdir(parents=True)
    mine.write_text("#!/bin/sh\ntrue\n")
    hooks = "hooks:\n  - script: host-exec.sh\n  - script: mine.sh\n"
    envman.write_profile(app, f"envman: 1\nname: {app}\nimage: {PROFILE_IMAGE}\n{hooks}")
    envman.run("lock", app, check=True)
    text = (envman.work / "profiles" / "envman.lock").read_text()
    assert "envman:hooks/host-exec.sh:" in text and "config:hooks/mine.sh:" in text
    assert str(REPO) not in text and str(envman.root) not in text

    elsewhere = tmp_path / "another-install"
    shutil.copytree(REPO / "hooks", elsewhere / "hooks")
    shutil.copytree(REPO / "profiles", elsewhere / "profiles")
    other = envman.run("outdated", app, extra_env={"ENVMAN_SHIPPED_DIR": str(elsewhere)})
    assert other.returncode == 0, other.stdout + other.stderr
    assert other.stdout.strip() == "everything is as locked"

    (elsewhere / "hooks" / "host-exec.sh").write_text("#!/bin/sh\necho changed\n")
    changed = envman.run("outdated", app, extra_env={"ENVMAN_SHIPPED_DIR": str(elsewhere)})
    assert changed.returncode == 1 and "envman:hooks/host-exec.sh" in changed.stdout
    assert "file changed" in changed.stdout


def test_a_lock_of_an_image_override_records_it_and_needs_it(envman: Envman, name: str) -> None:
    app = name
    envman.write_profile(app, f"envman: 1\nname: {app}\nimage: {PROFILE_IMAGE}\n")
    envman.run("lock", app, check=True)
    text = (envman.work / "profiles" / "envman.lock").read_text()
    assert f"image: {PROFILE_IMAGE}" in text and f"override: {BASE_IMAGE}" in text

    envman.run("config", "image-override", PROFILE_IMAGE, "--unset", check=True)
    refused = envman.run("up", app)
    assert refused.returncode == ExitCode.LOCK_MISMATCH, refused.stderr
    assert (
        f"the lock was written from {BASE_IMAGE} (a local override of {PROFILE_IMAGE}), "
        "which this machine does not have" in refused.stderr
    )
    assert "envman config image-override" in refused.stderr and "Traceback" not in refused.stderr
    outdated = envman.run("outdated", app)
    assert outdated.returncode == 1 and "base override" in outdated.stdout
    assert envman.run("ls", "--json", check=True).stdout.count(app) == 0


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        ("env:\n  EDITOR: vim\n", "env"),
        ("volumes: [/srv/data:/data]\n", "volumes"),
        ("podman_args: [--cap-add=SYS_PTRACE]\n", "podman_args"),
    ],
    ids=["env", "volumes", "podman_args"],
)
def test_runtime_only_edits_are_refused_like_build_edits(
    envman: Envman, name: str, edit: str, key: str
) -> None:
    app = name
    profile = f"envman: 1\nname: {app}\nimage: {PROFILE_IMAGE}\n"
    envman.write_profile(app, profile)
    envman.run("lock", app, check=True)
    envman.write_profile(app, profile + "# a comment is no setting\n")
    planned = envman.run("up", "--dry-run", app)  # the environment does not exist: no status
    assert planned.returncode == 0, planned.stderr

    envman.write_profile(app, profile + edit)
    refused = envman.run("up", app)
    assert refused.returncode == ExitCode.LOCK_MISMATCH, refused.stderr
    assert (
        f"{app}.yaml changed since the lock was written (runtime settings: {key})" in refused.stderr
    )
    assert "Traceback" not in refused.stderr
    assert envman.run("ls", "--json", check=True).stdout.count(app) == 0


def test_writing_a_lock_keeps_environments_up_to_date(envman: Envman, name: str) -> None:
    envman.write_profile(name, f"envman: 1\nname: {name}\nimage: {PROFILE_IMAGE}\n")
    first = envman.json("up", name)
    envman.run("lock", name, check=True)
    assert envman.json("status", name)["stale"] is False
    again = envman.json("up", name)
    assert again["action"] == "up-to-date" and not again["built"]
    assert again["content_hash"] == first["content_hash"]

    envman.run("update", name, check=True)
    assert envman.json("up", name)["action"] == "up-to-date"


class MovingBase:
    """A base image repository of this test's own: REPO:1 and REPO:old name the shared base."""

    def __init__(self, envman: Envman, root: Path) -> None:
        self.repo = f"localhost/{unique('lockbase')}"
        self.root = root
        self.moved_to = ""
        for tag in ("old", "1"):
            assert podman("tag", BASE_IMAGE, f"{self.repo}:{tag}").returncode == 0
        envman.run("config", "image-override", PROFILE_IMAGE, f"{self.repo}:1", check=True)

    def move(self) -> str:
        """Point REPO:1 at a new image with a layer of its own; its digest."""
        context = self.root / "moved"
        context.mkdir()
        (context / "Containerfile").write_text(f"FROM {BASE_IMAGE}\nRUN touch /moved\n")
        # No layer cache: its lookup reads every image, and other tests remove theirs meanwhile.
        built = podman("build", "--quiet", "--layers=false", "-t", f"{self.repo}:1", str(context))
        assert built.returncode == 0, built.stderr
        self.moved_to = built.stdout.strip().splitlines()[-1]
        return podman("image", "inspect", self.moved_to, "--format", "{{.Digest}}").stdout.strip()


@pytest.fixture
def moving_base(envman: Envman, name: str, tmp_path: Path) -> Iterator[MovingBase]:
    base = MovingBase(envman, tmp_path)
    yield base
    envman.run("rm", "--yes", name)  # the environment and its images first: they use the base
    for image in labelled("images", f"envman.profile={name}"):
        podman("rmi", "--force", image)
    for tag in ("old", "1"):
        podman("untag", BASE_IMAGE, f"{base.repo}:{tag}")
    if base.moved_to:
        podman("rmi", base.moved_to)


def base_label(name: str) -> str:
    label = '{{index .Config.Labels "envman.base"}}'
    return podman("inspect", name, "--format", label).stdout.strip()


def test_a_locked_build_stays_on_its_digest_when_the_tag_moves(
    envman: Envman, name: str, moving_base: MovingBase
) -> None:
    digest = podman("image", "inspect", BASE_IMAGE, "--format", "{{.Digest}}").stdout.strip()
    envman.write_profile(name, f"envman: 1\nname: {name}\nimage: {PROFILE_IMAGE}\n")
    envman.run("lock", name, check=True)
    moving_base.move()
    as_tag = envman.json("profile", "show", name)["content_hash"]

    made = envman.json("up", name)
    assert made["built"] and made["content_hash"] != as_tag
    assert base_label(name) == f"{moving_base.repo}@{digest}"
    outdated = envman.run("outdated", name)
    assert outdated.returncode == 1 and "the local image moved" in outdated.stdout


def test_a_lock_of_a_moved_tag_does_not_reuse_the_image_built_before(
    envman: Envman, name: str, moving_base: MovingBase
) -> None:
    envman.write_profile(name, f"envman: 1\nname: {name}\nimage: {PROFILE_IMAGE}\n")
    before = envman.json("up", name)
    moved = moving_base.move()
    envman.run("lock", name, check=True)
    assert f"digest: {moved}" in (envman.work / "profiles" / "envman.lock").read_text()

    made = envman.json("up", name)
    assert made["built"] and made["content_hash"] != before["content_hash"]
    assert base_label(name) == f"{moving_base.repo}@{moved}"
    assert envman.run("run", name, "--", "test", "-e", "/moved").returncode == 0


def test_a_lock_of_the_older_format_is_refused_then_written_again(envman: Envman) -> None:
    app = "lockold"
    envman.write_profile(app, f"envman: 1\nname: {app}\nimage: {PROFILE_IMAGE}\n")
    lock_path = envman.work / "profiles" / "envman.lock"
    lock_path.write_text(f"envman-lock: 1\nprofiles:\n  {app}:\n    content_hash: {'0' * 64}\n")
    refused = envman.run("up", app)
    assert refused.returncode == ExitCode.LOCK_INVALID
    assert "envman-lock: must be 2: an older envman wrote it" in refused.stderr
    assert "envman lock" in refused.stderr and "Traceback" not in refused.stderr
    envman.run("lock", check=True)
    assert "envman-lock: 2\n" in lock_path.read_text()
