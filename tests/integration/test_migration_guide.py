"""docs/migrating-from-distrobox.md, followed as written: its command blocks run in order.

The guide's example box is `devbox` of the fixture's assemble file; the podman store is shared,
so the test gives it a unique name and runs the same commands with that name.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.distrobox_made import FIXTURE, make_distrobox
from tests.integration.envman_cli import ENVMAN, REPO, Envman, make_envman, podman, unique

pytestmark = pytest.mark.podman

GUIDE = REPO / "docs" / "migrating-from-distrobox.md"
# `status` reports a stale environment with exit status 1, as the guide says it will
EXPECTED = {"status": 1}


def guide_steps(block: str) -> list[str]:
    """The `$ ` lines of one marked block of the guide."""
    text = GUIDE.read_text(encoding="utf-8")
    found = re.search(f"<!-- guide:{block}:start -->(.*?)<!-- guide:{block}:end -->", text, re.S)
    assert found is not None, block
    return [line[2:] for line in found.group(1).splitlines() if line.startswith("$ ")]


def follow(envman: Envman, steps: list[str], name: str) -> None:
    """Run each step as a shell would, envman first on PATH; stop at the first failure."""
    env = {**envman.env, "PATH": f"{Path(ENVMAN).parent}:{os.environ['PATH']}"}
    for step in steps:
        command = re.sub(r"\bdevbox\b", name, step)
        result = subprocess.run(
            ["sh", "-c", command],
            cwd=envman.work,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        verb = command.split()[1] if command.startswith("envman ") else ""
        expected = EXPECTED.get(verb, 0)
        assert result.returncode == expected, f"{command}:\n{result.stdout}{result.stderr}"


def test_moving_the_assemble_file(tmp_path: Path) -> None:
    envman = make_envman(tmp_path)
    name = unique("guide-db")
    data = tmp_path / "srv-data"
    data.mkdir()
    ini = (FIXTURE / "sample.ini").read_text(encoding="utf-8")
    # the section under a unique name, and its volume's source in a directory of the test's
    ini = ini.replace("[devbox]", f"[{name}]").replace("/srv/data:/srv/data", f"{data}:/srv/data")
    (envman.work / "distrobox.ini").write_text(ini, encoding="utf-8")
    for git in (["init", "-q"], ["add", "distrobox.ini"]):
        subprocess.run(["git", *git], cwd=envman.work, check=True)
    override = ["config", "image-override", "registry.fedoraproject.org/fedora-toolbox:41"]
    envman.run(*override, "localhost/debian:bookworm", check=True)  # no registry here
    try:
        follow(envman, guide_steps("assemble"), name)
        assert (envman.work / "profiles" / "distrobox.ini").is_file()
    finally:
        envman.run("rm", "--yes", name)
        podman("rm", "-f", name)


def test_adopting_a_distrobox_container(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    envman = make_envman(tmp_path, user_env={"HOME": str(home)})
    name = unique("guide-adopt")
    make_distrobox("devbox", name, home, tmp_path)
    before = podman("inspect", "--format", "{{.Id}}", name).stdout.strip()
    try:
        follow(envman, guide_steps("adopt"), name)
        after = podman("inspect", "--format", "{{.Id}}", name).stdout.strip()
        assert after and after != before  # `up` recreated it in envman's way
        assert envman.run("run", name, "--", "test", "-f", "/etc/devbox-ready").returncode == 0
        assert envman.run("rm", "--yes", name).returncode == ExitCode.OK
    finally:
        podman("rm", "-f", name)
        podman("rmi", f"localhost/envman/{name}")
