"""The up/run/rm path as an unprivileged user with rootless podman (--userns keep-id)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import PROFILE_IMAGE, Envman, labelled, make_envman, unique

pytestmark = pytest.mark.rootless

USER = "tester"
RUNTIME = Path("/tmp/xdg-tester")
PODMAN_AS_USER = [
    "/usr/sbin/runuser",
    "-u",
    USER,
    "--",
    "env",
    "-i",
    "HOME=/home/tester",
    f"XDG_RUNTIME_DIR={RUNTIME}",
    "PATH=/usr/bin:/bin",
]


@pytest.fixture
def rootless(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Envman]:
    if os.getuid() != 0:
        pytest.skip("drives another user: needs root")
    try:
        entry = pwd.getpwnam(USER)
    except KeyError:
        if os.environ.get("ENVMAN_REQUIRE_PODMAN") == "1":
            pytest.fail(f"user {USER} is missing: run scripts/setup-host --tests")
        pytest.skip(f"no user {USER}")
    root = Path(f"/tmp/envman-rootless-{unique('t')}")
    root.mkdir(mode=0o755)
    shutil.chown(root, USER, USER)
    RUNTIME.mkdir(mode=0o700, exist_ok=True)
    shutil.chown(RUNTIME, USER, USER)
    user_env = {
        "HOME": entry.pw_dir,
        "USER": USER,
        "LOGNAME": USER,
        "XDG_RUNTIME_DIR": str(RUNTIME),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }
    for name in ("config", "state", "cache", "data", "work"):
        (root / name).mkdir()
        shutil.chown(root / name, USER, USER)
        if name not in ("work", "data"):  # rootless podman keeps its storage in XDG_DATA_HOME
            user_env[f"XDG_{name.upper()}_HOME"] = str(root / name)
    prefix = [
        "/usr/sbin/runuser",
        "-u",
        USER,
        "--",
        "env",
        "-i",
        *(f"{k}={v}" for k, v in user_env.items()),
    ]
    yield make_envman(root, user_env=user_env, prefix=prefix)
    subprocess.run(["rm", "-rf", str(root)], check=False)


def test_rootless_up_run_rm(rootless: Envman) -> None:
    envman = rootless
    name = unique("itest-rootless")
    envman.write_profile(name, f"envman: 1\nimage: {PROFILE_IMAGE}\npackages: [less]\n")
    try:
        first = envman.run("up", name)
        assert first.returncode == 0, first.stderr
        assert "private podman API service" in first.stderr or "building" in first.stderr
        script = (
            "id -un; id -u; id -g; echo $HOME; awk -F: '$1 == \"tester\" {print $7}' /etc/passwd;"
            " sudo -n id -u"
        )
        ids = envman.run("run", name, "--", "sh", "-c", script, check=True).stdout.split()
        # the host user (name, uid, gid, home, shell) through keep-id, with passwordless sudo
        assert ids == [USER, "1500", "1500", "/home/tester", "/bin/bash", "0"]
        for via in ("api", "podman"):  # --root: uid 0 of the container, on both paths
            forced = Envman(envman.root, envman.env, [*envman.prefix, f"ENVMAN_RUN_VIA={via}"])
            as_root = forced.run("run", name, "--root", "--", "sh", "-c", "id -u; echo $HOME")
            assert as_root.stdout.split() == ["0", "/root"], as_root.stderr
            entered = forced.run("enter", "--root", name, "--", "id", "-un", check=True)
            assert entered.stdout == "root\n"
        home_file = Path("/home/tester") / f".envman-{name}"
        envman.run("run", name, "--", "sh", "-c", f"echo from-inside > {home_file}", check=True)
        assert home_file.read_text() == "from-inside\n"  # $HOME is the host's home
        home_file.unlink()
        assert envman.run("run", name, "--", "sh", "-c", "exit 9").returncode == 9
        assert envman.json("up", name)["action"] == "up-to-date"
        assert labelled("ps", f"envman.profile={name}", user_prefix=PODMAN_AS_USER) != []
    finally:
        removed = envman.run("rm", "--yes", name)
    assert removed.returncode == 0, removed.stderr
    user_prefix = PODMAN_AS_USER
    assert labelled("ps", f"envman.profile={name}", user_prefix=user_prefix) == []
    assert labelled("images", f"envman.profile={name}", user_prefix=user_prefix) == []
    assert envman.run("run", name, "--", "true").returncode == ExitCode.ENV_NOT_FOUND
