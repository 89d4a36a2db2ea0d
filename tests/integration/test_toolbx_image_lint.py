"""IMAGE_LINT_SCRIPT in real podman: a bare Debian, a toolbx-ready Debian and a busybox image."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import uuid
from collections.abc import Iterator

import pytest

from envman.profile.toolbx_lint import (
    IMAGE_LINT_SCRIPT,
    REQUIREMENTS,
    image_lint_command,
    lint_image_config,
    parse_image_lint,
)

pytestmark = pytest.mark.podman

BASE = "localhost/debian:bookworm"
REPO = "localhost/envman-test/toolbx-lint"
RUN_ID = uuid.uuid4().hex[:8]

READY_CONTAINERFILE = f"""\
FROM {BASE}
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      sudo libcap2-bin libnss-myhostname p11-kit-modules libvte-2.91-common flatpak-xdg-utils \\
 && rm -rf /var/lib/apt/lists/*
RUN ln -s /usr/libexec/flatpak-xdg-utils/flatpak-spawn /usr/bin/flatpak-spawn \\
 && mkdir -p /etc/krb5.conf.d /etc/pkcs11/modules /usr/share/empty
LABEL com.github.containers.toolbox="true"
"""


def podman(*args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"podman {args[0]} failed:\n{result.stderr[-2000:]}"
    return result


def run_lint(argv: list[str]) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def statuses(out: str) -> dict[str, str]:
    return {line.split("\t")[1]: line.split("\t")[0] for line in out.splitlines()}


def remove_image(tag: str) -> None:
    subprocess.run(["podman", "rmi", "--force", tag], capture_output=True, check=False)


@pytest.fixture(scope="module")
def ready_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """BASE plus what toolbx requires, built with apt over the host network."""
    tag = f"{REPO}:ready-{RUN_ID}"
    context = tmp_path_factory.mktemp("ready")
    (context / "Containerfile").write_text(READY_CONTAINERFILE, encoding="utf-8")
    try:
        # --layers=false: no cached intermediate images are left behind
        podman(
            "build",
            "--layers=false",
            "--network",
            "host",
            "--label",
            "envman.test=1",
            "--tag",
            tag,
            str(context),
            timeout=900,
        )
        yield tag
    finally:
        remove_image(tag)


@pytest.fixture(scope="module")
def busybox_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A root file system of busybox and its applets only, imported as an image."""
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox is not installed")
    applets = subprocess.run(
        [busybox, "--list"], capture_output=True, text=True, check=True
    ).stdout.split()
    tar_path = tmp_path_factory.mktemp("busybox") / "rootfs.tar"
    with tarfile.open(tar_path, "w") as tar:
        tar.add(busybox, arcname="bin/busybox")
        for applet in applets:
            if applet != "busybox":
                link = tarfile.TarInfo(f"bin/{applet}")
                link.type, link.linkname = tarfile.SYMTYPE, "busybox"
                tar.addfile(link)
    tag = f"{REPO}:busybox-{RUN_ID}"
    try:
        podman("import", "--change", "LABEL envman.test=1", str(tar_path), tag)
        yield tag
    finally:
        remove_image(tag)


def test_bare_debian_misses_capsh_and_sudo() -> None:
    out = run_lint(image_lint_command(BASE))
    assert sorted(statuses(out)) == sorted(REQUIREMENTS)
    findings = parse_image_lint(out)
    assert {f.id for f in findings if f.level == "must"} == {
        "cmd-capsh",
        "cmd-sudo",
        "sudoers-group-rule",
    }
    capsh = next(f for f in findings if f.id == "cmd-capsh")
    assert "apt-get install -y libcap2-bin" in capsh.message
    ok = statuses(out)
    for key in (
        "cmd-mount",
        "cmd-passwd",
        "cmd-test",
        "cmd-useradd",
        "cmd-usermod",
        "cmd-ldconfig",
        "sudoers-group-exists",
        "home-empty",
        "etc-localtime",
        "etc-resolv-conf",
        "etc-machine-id",
    ):
        assert ok[key] == "ok", key


def test_the_plain_command_reports_podmans_hosts_mount() -> None:
    argv = [
        "podman",
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "/bin/sh",
        BASE,
        "-c",
        IMAGE_LINT_SCRIPT,
    ]
    out = run_lint(argv)
    hosts = next(line for line in out.splitlines() if line.split("\t")[1] == "etc-hosts")
    assert hosts.startswith("ok\t") and "--no-hosts" in hosts


def test_ready_image_meets_every_requirement(ready_image: str) -> None:
    out = run_lint(image_lint_command(ready_image))
    assert [f for f in parse_image_lint(out) if f.level == "must"] == []
    assert [line for line in out.splitlines() if not line.startswith("ok\t")] == []


def test_ready_image_config(ready_image: str) -> None:
    (info,) = json.loads(podman("image", "inspect", ready_image).stdout)
    config = info["Config"]
    findings = lint_image_config(
        config.get("Entrypoint"), config.get("User"), config.get("Labels") or {}
    )
    assert findings == []


def test_busybox_image_is_checked_to_the_end(busybox_image: str) -> None:
    out = run_lint(image_lint_command(busybox_image))
    assert sorted(statuses(out)) == sorted(REQUIREMENTS)
    musts = {f.id for f in parse_image_lint(out) if f.level == "must"}
    assert {
        "cmd-capsh",
        "cmd-sudo",
        "cmd-useradd",
        "cmd-usermod",
        "sudoers-group-rule",
        "sudoers-group-exists",
    } <= musts
    assert statuses(out)["cmd-mount"] == "ok"  # busybox's applet is a real executable
    assert "lint-incomplete" not in musts
