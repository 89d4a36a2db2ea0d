"""The adapter and real podman interoperate: `podman login` credentials, podman push and pull."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.registry.client import RegistryClient
from tests.integration.envman_cli import podman, unique
from tests.registry.testbed import PASSWORD, USER, TestRegistry

pytestmark = pytest.mark.podman


@pytest.fixture
def small_image(tmp_path: Path) -> Iterator[str]:
    """A one-file image (busybox-static) imported into podman; removed afterwards."""
    busybox = shutil.which("busybox") or "/bin/busybox"
    tarball = tmp_path / "rootfs.tar"
    with tarfile.open(tarball, "w") as tar:
        tar.add(busybox, arcname="bin/busybox")
        info = tarfile.TarInfo("etc/envman-registry-test")
        data = unique("content").encode()
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    name = f"localhost/{unique('envman-regtest')}:1"
    assert podman("import", str(tarball), name).returncode == 0
    yield name
    podman("rmi", "-f", name)


def test_podman_login_push_and_pull_interoperate(
    htpasswd_registry: TestRegistry,
    small_image: str,
    tmp_path: Path,
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    host = htpasswd_registry.host
    authfile = tmp_path / "podman-auth.json"
    login = subprocess.run(
        ["podman", "login", "--authfile", str(authfile), "-u", USER, "--password-stdin", host],
        input=PASSWORD, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert login.returncode == 0, login.stderr
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(authfile))
    repo = f"team/{unique('busybox')}"
    digestfile = tmp_path / "digest"
    pushed = podman("push", "--authfile", str(authfile), "--digestfile", str(digestfile),
                    small_image, f"{host}/{repo}:v1")  # fmt: skip
    assert pushed.returncode == 0, pushed.stderr

    client = RegistryClient(host)  # the login comes from REGISTRY_AUTH_FILE, as podman's does
    digest = client.manifest_digest(repo, "v1")
    manifest = client.get_manifest(repo, "v1")
    config = json.loads(client.get_blob(repo, json.loads(manifest.data)["config"]["digest"]))

    assert digest == digestfile.read_text().strip() == manifest.digest
    assert config["os"] == "linux"
    copied = client.put_manifest(repo, "copy", manifest.data, manifest.media_type)
    assert copied == digest
    pulled_names = [f"{host}/{repo}:copy", f"{host}/{repo}@{digest}"]
    image_ids: set[str] = set()
    try:
        for name in pulled_names:
            pulled = podman("pull", "--authfile", str(authfile), name)
            assert pulled.returncode == 0, pulled.stderr
            image_ids.add(pulled.stdout.strip().splitlines()[-1])
        inspect = podman("image", "inspect", "--format", "{{json .RepoDigests}}", pulled_names[0])
        assert f"{host}/{repo}@{digest}" in json.loads(inspect.stdout)
    finally:
        podman("rmi", "-f", *image_ids, *pulled_names)
