"""Team images end to end, through the `envman` CLI only: CI makes a key and publishes, a laptop
(another HOME and XDG dirs, no local image of that content hash) trusts the key and `up` pulls.

The refusals (unsigned, untrusted key, another identity, a re-tagged image, a manifest that does
not hash to its digest) and the rootless pull are in test_pull.py; here the one refusal is the
CLI-made key the laptop does not trust. Rootful podman has one image store for both "machines":
CI's local tag is removed after publishing, so the laptop has to pull.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import BASE_IMAGE, Envman, make_envman, podman, unique
from tests.registry.conftest import write_auth_file
from tests.registry.testbed import TestRegistry

pytestmark = pytest.mark.podman

PASSPHRASE = "e2e-passphrase"
PROFILE = f"""\
envman: 1
image: {BASE_IMAGE}
hooks:
  - run: [sh, -c, "echo from-ci > /etc/team-marker"]
"""


@dataclass
class Published:
    """What CI left behind: the registry, the login, the public key, the published image."""

    registry: TestRegistry
    team: str  # HOST/NAMESPACE
    auth: Path
    public: Path
    name: str
    reference: str  # HOST/NAMESPACE/NAME:<content hash>
    digest: str

    @property
    def source(self) -> str:
        """REPOSITORY@DIGEST, as `up` records where an image came from."""
        return f"{self.reference.rpartition(':')[0]}@{self.digest}"


def machine(root: Path, auth: Path) -> Envman:
    """A fresh user on its own "machine": HOME, XDG dirs, the team's registry login."""
    (root / "home").mkdir(parents=True)
    env = {"HOME": str(root / "home"), "REGISTRY_AUTH_FILE": str(auth)}
    return make_envman(root, user_env=env)


@pytest.fixture(scope="module")
def published(
    htpasswd_registry: TestRegistry, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Published]:
    root = tmp_path_factory.mktemp("ci")
    auth = write_auth_file(root / "auth.json", htpasswd_registry.host)
    ci = machine(root / "ci", auth)
    secret = {"ENVMAN_KEY_PASSPHRASE": PASSPHRASE}
    ci.run("key", "generate", str(root / "team"), extra_env=secret, check=True)
    name = unique("e2e")
    ci.write_profile(name, PROFILE)
    team = f"{htpasswd_registry.host}/{unique('team')}"
    result = ci.run(
        "publish", name, "--registry", team, "--key", str(root / "team.private"), "--json",
        extra_env=secret,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [done] = json.loads(result.stdout)
    assert done["built"] and done["pushed"], done
    local = f"localhost/envman/{name}:{done['content_hash'][:12]}"
    # CI's machine is done: its local image goes, so the laptop finds none of this content hash
    assert podman("rmi", local).returncode == 0
    assert podman("image", "exists", local).returncode == 1
    yield Published(
        htpasswd_registry, team, auth, root / "team.pub", name, done["reference"], done["digest"]
    )


@pytest.fixture
def laptop(published: Published, tmp_path: Path) -> Iterator[Envman]:
    envman = machine(tmp_path / "laptop", published.auth)
    envman.write_profile(published.name, PROFILE)
    yield envman
    envman.run("rm", "-y", published.name)
    podman("rmi", "-f", f"{published.reference.rpartition(':')[0]}@{published.digest}")


def test_ci_publishes_and_a_laptop_pulls_the_signed_image_instead_of_building(
    published: Published, laptop: Envman
) -> None:
    laptop.run("config", "registry", "add", published.team, "--key", str(published.public),
               check=True)  # fmt: skip
    planned = laptop.json("up", published.name, "--dry-run")
    assert [s["kind"] for s in planned["steps"]] == ["pull", "create"]
    blob_gets = '"GET /v2/' + published.reference.split("/", 1)[1].rpartition(":")[0] + "/blobs/"
    blobs_before = len(published.registry.access_lines(blob_gets))

    result = laptop.run("up", published.name, "--json")

    assert result.returncode == 0, result.stderr
    done = json.loads(result.stdout)
    assert (done["built"], done["pulled_from"]) == (False, published.source)
    assert [s["kind"] for s in done["plan"]["steps"]] == ["pull", "create"]
    assert "building" not in result.stderr
    assert len(published.registry.access_lines(blob_gets)) > blobs_before  # a real download
    marker = laptop.run("run", published.name, "--", "cat", "/etc/team-marker", check=True)
    assert marker.stdout == "from-ci\n"  # CI's hook ran in CI, not here
    assert laptop.json("status", published.name)["pulled_from"] == published.source


def test_a_laptop_that_trusts_another_key_refuses_the_image(
    published: Published, laptop: Envman, tmp_path: Path
) -> None:
    laptop.run("key", "generate", str(tmp_path / "other"),
               extra_env={"ENVMAN_KEY_PASSPHRASE": PASSPHRASE}, check=True)  # fmt: skip
    laptop.run("config", "registry", "add", published.team, "--key", str(tmp_path / "other.pub"),
               check=True)  # fmt: skip

    result = laptop.run("up", published.name)

    assert result.returncode == ExitCode.SIGNATURE_REJECTED, result.stderr
    assert published.reference.split("/", 1)[1] in result.stderr
    assert "bad-signature" in result.stderr and "building" not in result.stderr
    assert podman("container", "exists", published.name).returncode == 1
    assert podman("image", "exists", published.source).returncode == 1
