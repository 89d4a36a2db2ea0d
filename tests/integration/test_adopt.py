"""`envman adopt` on real podman: containers made as distrobox 1.8.2.5 and toolbx make them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from envman.errors import ExitCode
from tests.integration.distrobox_made import make_distrobox, make_toolbx
from tests.integration.envman_cli import BASE_IMAGE, Envman, make_envman, podman, unique

pytestmark = pytest.mark.podman

DESKTOP = """[Desktop Entry]
Type=Application
Name=Hello
Exec=hello
"""
# what distrobox-export 1.8.2.5 writes on the host for an app and a binary of box BOX
DISTROBOX_LAUNCHER = """[Desktop Entry]
Type=Application
Name=Hello (on {box})
Exec=/usr/bin/distrobox-enter  -n {box}  --   hello
StartupWMClass=hello
"""
DISTROBOX_WRAPPER = """#!/bin/sh
# distrobox_binary
# name: {box}
if [ -z "${{CONTAINER_ID}}" ]; then
\texec "/usr/bin/distrobox-enter"  -n {box}  --  '/usr/bin/hello'  "$@"
elif [ -n "${{CONTAINER_ID}}" ] && [ "${{CONTAINER_ID}}" != "{box}" ]; then
\texec distrobox-host-exec '{bins}/hello' "$@"
else
\texec  '/usr/bin/hello' "$@"
fi
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def envman(tmp_path: Path, home: Path) -> Envman:
    home.mkdir()
    return make_envman(tmp_path, user_env={"HOME": str(home)})


@pytest.fixture
def box(tmp_path: Path, home: Path) -> Iterator[str]:
    """A distrobox-made `devbox` with a package installed since its image, and its exports."""
    name = unique("adopt-db")
    make_distrobox("devbox", name, home, tmp_path)
    install = podman(
        "exec",
        name,
        "sh",
        "-c",
        "apt-get update -qq && apt-get install -y -qq --no-install-recommends hello",
    )
    assert install.returncode == 0, install.stdout + install.stderr
    apps_in = "/usr/share/applications"
    made = podman(
        "exec",
        name,
        "sh",
        "-c",
        f"mkdir -p {apps_in} && printf '{DESKTOP}' > {apps_in}/hello.desktop",
    )
    assert made.returncode == 0, made.stderr
    apps = home / ".local/share/applications"
    bins = home / ".local/bin"
    apps.mkdir(parents=True)
    bins.mkdir(parents=True)
    (apps / f"{name}-hello.desktop").write_text(DISTROBOX_LAUNCHER.format(box=name))
    (bins / "hello").write_text(DISTROBOX_WRAPPER.format(box=name, bins=bins))
    (bins / "hello").chmod(0o755)
    yield name
    podman("rm", "-f", name)
    podman("rm", "-f", f"{name}.envman-old")
    podman("rmi", f"localhost/envman/{name}")


def profile(envman: Envman, name: str) -> dict[str, object]:
    data = yaml.safe_load((envman.work / "profiles" / f"{name}.yaml").read_text())
    assert isinstance(data, dict)
    return data


def container_id(name: str) -> str:
    return podman("inspect", "--format", "{{.Id}}", name).stdout.strip()


def test_adopt_writes_the_profile_and_leaves_the_container(
    envman: Envman, box: str, home: Path, tmp_path: Path
) -> None:
    before = container_id(box)
    launcher = home / f".local/share/applications/{box}-hello.desktop"
    wrapper = home / ".local/bin/hello"
    files_before = (launcher.read_text(), wrapper.read_text())
    result = envman.run("adopt", box)
    assert result.returncode == 0, result.stderr
    data = profile(envman, box)
    assert data["image"] == BASE_IMAGE
    packages = data["packages"]
    assert isinstance(packages, list)
    assert packages[:2] == ["git", "vim"]  # distrobox's additional_packages, as asked
    assert "hello" in packages  # installed since the image: apt-mark showmanual says so
    assert "bash" not in packages  # the image's own
    assert data["volumes"] == [f"{tmp_path / 'srv-data'}:/srv/data:ro"]
    assert data["hooks"] == [{"sh": "touch /etc/devbox-ready", "when": "build"}]
    assert data["exports"] == {"apps": ["hello"], "bins": ["/usr/bin/hello"]}
    assert "integration" not in data and "hostname" not in data
    # the container and distrobox's files are as they were; envman does not list it
    assert container_id(box) == before
    assert podman("inspect", "--format", "{{.State.Status}}", box).stdout.strip() == "running"
    assert (launcher.read_text(), wrapper.read_text()) == files_before
    assert box not in [row["name"] for row in envman.json("ls")]
    assert envman.run("run", box, "--", "true").returncode == ExitCode.ENV_NOT_FOUND
    assert envman.run("rm", "--yes", box).returncode == ExitCode.NAME_CLASH
    assert container_id(box) == before
    # never overwritten without --force; -o FILE writes elsewhere
    again = envman.run("adopt", box)
    assert again.returncode == ExitCode.ABORTED
    assert "--force" in again.stderr
    assert envman.run("adopt", box, "-o", "elsewhere.yaml").returncode == 0
    assert (envman.work / "elsewhere.yaml").read_text() == (
        envman.work / "profiles" / f"{box}.yaml"
    ).read_text()


def test_take_over_then_run_status_up_and_rm(envman: Envman, box: str, home: Path) -> None:
    before = container_id(box)
    result = envman.run("adopt", box, "--take-over", "--json")
    assert result.returncode == 0, result.stderr
    adopted = json.loads(result.stdout)
    assert adopted["taken_over"] is True
    assert adopted["warnings"] == [], adopted["warnings"]
    # distrobox's launcher and wrapper were replaced by envman's, and kept aside
    launcher = home / f".local/share/applications/{box}-hello.desktop"
    wrapper = home / ".local/bin/hello"
    assert not launcher.exists()
    aside = envman.root / "state/envman/adopted" / box
    assert (aside / "applications" / launcher.name).is_file()
    assert "# distrobox_binary" in (aside / "bin" / "hello").read_text()
    assert "envman" in wrapper.read_text() and "distrobox" not in wrapper.read_text()
    assert (home / f".local/share/applications/envman-{box}-hello.desktop").is_file()
    # envman's environment now, the very same container
    assert box in [row["name"] for row in envman.json("ls")]
    assert envman.run("run", box, "--", "true").returncode == 0
    assert envman.run("run", box, "--", "hello").stdout == "Hello, world!\n"
    assert container_id(box) == before
    status = envman.run("status", box)
    assert status.returncode == 1, status.stdout + status.stderr
    assert "recreate" in status.stdout
    # up recreates it in envman's way; rm then removes it, the base image stays
    up = envman.run("up", box)
    assert up.returncode == 0, up.stderr
    assert container_id(box) != before
    assert podman("container", "exists", before).returncode != 0
    labels = podman("inspect", "--format", "{{json .Config.Labels}}", box).stdout
    assert json.loads(labels)["envman.env"] == box
    assert envman.run("run", box, "--", "test", "-f", "/etc/devbox-ready").returncode == 0
    assert envman.run("rm", "--yes", box).returncode == 0
    assert podman("container", "exists", box).returncode != 0
    assert podman("image", "exists", BASE_IMAGE).returncode == 0


def test_rm_right_after_take_over_removes_only_the_container(envman: Envman, box: str) -> None:
    assert envman.run("adopt", box, "--take-over").returncode == 0
    removed = envman.run("rm", "--yes", box)
    assert removed.returncode == 0, removed.stderr
    assert podman("container", "exists", box).returncode != 0
    assert podman("image", "exists", BASE_IMAGE).returncode == 0


def test_init_box_flags_and_custom_home(envman: Envman, home: Path, tmp_path: Path) -> None:
    name = unique("adopt-ib")
    try:
        make_distrobox("initbox", name, home, tmp_path)
        result = envman.run("adopt", name)
        assert result.returncode == 0, result.stderr
        data = profile(envman, name)
        assert data["packages"] == ["systemd"]
        assert data["integration"] == {
            "home": str(home / "boxes" / "initbox"),
            "init": True,
            "unshare": ["netns"],
        }
        assert data["hostname"] == name
        assert "volumes" not in data and "hooks" not in data
    finally:
        podman("rm", "-f", name)


def test_toolbx_container(envman: Envman, home: Path, tmp_path: Path) -> None:
    name = unique("adopt-tb")
    try:
        make_toolbx(name, home, tmp_path)
        result = envman.run("adopt", name)
        assert result.returncode == 0, result.stderr
        assert "from toolbx container" in result.stdout
        data = profile(envman, name)
        assert data == {
            "envman": 1,
            "name": name,
            "description": f"adopted from toolbx container {name}",
            "image": BASE_IMAGE,
        }
        assert envman.run("adopt", name, "--take-over", "--force").returncode == 0
        assert envman.run("run", name, "--", "true").returncode == 0
        assert envman.run("rm", "--yes", name).returncode == 0
        assert podman("container", "exists", name).returncode != 0
    finally:
        podman("rm", "-f", name)


def test_not_adoptable_and_missing(envman: Envman) -> None:
    name = unique("adopt-plain")
    try:
        made = podman("create", "--name", name, BASE_IMAGE, "sleep", "1")
        assert made.returncode == 0, made.stderr
        plain = envman.run("adopt", name)
        assert plain.returncode == ExitCode.NOT_ADOPTABLE
        assert "not made by distrobox or toolbox" in plain.stderr
        assert not (envman.work / "profiles").exists()
    finally:
        podman("rm", "-f", name)
    missing = envman.run("adopt", unique("adopt-none"))
    assert missing.returncode == ExitCode.ENV_NOT_FOUND
    assert "no container named" in missing.stderr
