"""podman's layer cache on real builds: what up --dry-run says is what the build reuses.

Also: the same profile in two homes and directories gives the same content hash and the same
image labels, and nothing of the host (paths, user) is in the image.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.engine.podman_api import RETRY_NOTE
from tests.integration.envman_cli import PROFILE_IMAGE, Envman, make_envman, podman, unique

pytestmark = pytest.mark.podman

PROFILE = """\
envman: 1
name: {name}
version: "1.0"
image: {image}
packages: [{packages}]
hooks:
  - sh: "echo {name} > /etc/run-id"
    stage: before-packages
  - script: tool.sh
  - run: [touch, /tmp/started]
    when: start
  - sh: "echo {name} {last} > /etc/last-hook"
"""
TOOL = "#!/bin/sh\necho tool > /etc/tool\n"
IMAGE_LABELS = {
    "com.github.containers.toolbox",
    "envman.base",
    "envman.hash",
    "envman.managed",
    "envman.profile",
    "envman.version",
}


@pytest.fixture
def envman(tmp_path: Path) -> Envman:
    return make_envman(tmp_path / "a", user_env={"HOME": str(tmp_path / "a" / "home")})


@pytest.fixture
def name(envman: Envman) -> Iterator[str]:
    env_name = unique("cache")
    yield env_name
    envman.run("rm", "--yes", env_name)


def write(envman: Envman, name: str, *, packages: str = "less", last: str = "one") -> None:
    hooks = envman.work / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "tool.sh").write_text(TOOL)
    (hooks / "tool.sh").chmod(0o755)
    text = PROFILE.format(name=name, image=PROFILE_IMAGE, packages=packages, last=last)
    envman.write_profile(name, text)


def dry_run(envman: Envman, name: str) -> dict[str, object]:
    plan = json.loads(envman.run("up", "--dry-run", name, "--json", check=True).stdout)
    assert plan["action"] == "rebuilt" and plan["steps"][0]["kind"] == "build"
    return dict(plan)


def cache_hits(envman: Envman, name: str) -> int:
    """`envman up`, and how many steps podman said it took from its cache."""
    result = envman.run("up", name, check=True)
    assert "rebuilt" in result.stdout
    last_try = result.stderr.rpartition(RETRY_NOTE)[2]  # podman lost a race: count the last try
    return last_try.count("--> Using cache")


def test_dry_run_reuse_is_what_the_build_reuses(envman: Envman, name: str) -> None:
    write(envman, name)
    envman.run("up", name, check=True)

    write(envman, name, last="two")
    plan = dry_run(envman, name)
    # The first hook names the environment: no other run left the steps after it in the cache.
    assert plan["rebuilt_layers"][0] == f'RUN ["/bin/sh", "-c", "echo {name} two > /etc/last-hook"]'
    assert cache_hits(envman, name) == plan["reused_layers"]
    assert plan["reused_layers"] >= 6  # everything up to the changed hook

    write(envman, name, packages="less, jq", last="two")
    plan = dry_run(envman, name)
    rebuilt = plan["rebuilt_layers"]
    assert isinstance(rebuilt, list) and rebuilt[0].endswith('pkg-install", "jq"]')
    assert cache_hits(envman, name) == plan["reused_layers"]
    assert envman.run("run", name, "--", "jq", "--version").returncode == 0


def image_labels(ref: str) -> dict[str, str]:
    out = podman("image", "inspect", ref, "--format", "{{json .Labels}}").stdout
    return dict(json.loads(out))


def test_the_same_profile_elsewhere_gives_the_same_hash_and_labels(
    envman: Envman, name: str, tmp_path: Path
) -> None:
    other = make_envman(tmp_path / "elsewhere", user_env={"HOME": str(tmp_path / "b-home")})
    write(envman, name)
    write(other, name)
    here = envman.json("profile", "show", name)
    there = other.json("profile", "show", name)
    assert here["content_hash"] == there["content_hash"]
    assert here["containerfile"] == there["containerfile"]

    envman.run("up", name, check=True)
    labels = image_labels(here["image_tag"])
    assert set(labels) - {"io.buildah.version"} == IMAGE_LABELS
    assert labels["envman.hash"] == here["content_hash"]
    assert not any(str(tmp_path) in value for value in labels.values())
    container = podman("container", "inspect", name, "--format", "{{json .Config.Labels}}")
    assert json.loads(container.stdout)["envman.source"].startswith(str(envman.work))
