"""`envman up` with a team registry: pull the verified image by digest, refuse everything else.

The images are published with the low-level pieces (podman push, envman.signing's signer, the
RegistryClient), as CI would, to a real docker-registry with TLS and a login.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from envman.errors import ExitCode
from envman.ops.keys import generate_key, load_private_key
from envman.registry.client import RegistryClient
from envman.registry.published import hash_tag, repository_for
from envman.signing.crypto import PrivateKey
from envman.signing.manifest import OCI_MANIFEST
from envman.signing.sign import sign
from tests.integration.envman_cli import (
    BASE_IMAGE,
    PROFILE_IMAGE,
    Envman,
    make_envman,
    podman,
    unique,
)
from tests.integration.test_rootless import PODMAN_AS_USER, rootless
from tests.registry.conftest import write_auth_file
from tests.registry.testbed import TestRegistry

pytestmark = pytest.mark.podman
NAMESPACE = "team"
__all__ = ["rootless"]  # the rootless user's fixture, used here too


@dataclass
class Publisher:
    """CI's side: two images built once, a signing key, a login; publishes under any name."""

    registry: TestRegistry
    work: Path
    auth_file: Path
    key: PrivateKey
    public: Path
    other_key: PrivateKey
    images: tuple[str, str]  # local tags of two different images
    pushed: list[str] = field(default_factory=list)

    @property
    def team(self) -> str:
        return f"{self.registry.host}/{NAMESPACE}"

    def client(self) -> RegistryClient:
        return RegistryClient(self.registry.host, auth_files=[self.auth_file])

    def push(self, profile: str, content_hash: str, image: int = 0) -> tuple[str, str, bytes]:
        """Push image 0 or 1 as the profile's content hash: (name, digest, manifest bytes)."""
        repo = repository_for(self.team, profile)
        name = f"{repo}:{hash_tag(content_hash)}"
        digestfile = self.work / unique("digest")
        pushed = podman(
            "push", "--authfile", str(self.auth_file), "--digestfile", str(digestfile),
            self.images[image], name,
        )  # fmt: skip
        assert pushed.returncode == 0, pushed.stderr
        self.pushed.append(name)
        manifest = self.client().get_manifest(repo.path, hash_tag(content_hash))
        assert manifest.digest == digestfile.read_text().strip()
        return name, manifest.digest, manifest.data

    def attach(self, name: str, manifest: bytes, *, key: PrivateKey | None = None,
               identity: str | None = None, under: str | None = None) -> None:  # fmt: skip
        """Sign `manifest` as `identity` (default: `name`), upload the `.sig` attachment under
        the signature tag of `under` (default: the signed image's own digest)."""
        signed = sign(key or self.key, identity or name, manifest, timestamp=int(time.time()))
        repo = name.split("/", 1)[1].rpartition(":")[0]
        client = self.client()
        client.put_blob(repo, signed.payload)
        client.put_blob(repo, signed.config)
        tag = signed.tag if under is None else under.replace(":", "-", 1) + ".sig"
        client.put_manifest(repo, tag, signed.manifest, OCI_MANIFEST)


@pytest.fixture(scope="module")
def publisher(
    htpasswd_registry: TestRegistry, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Publisher]:
    work = tmp_path_factory.mktemp("publisher")
    auth_file = write_auth_file(work / "auth.json", htpasswd_registry.host)
    keys = [generate_key(work / name, "pass") for name in ("team", "other")]
    images, ids = [], []
    for which in ("a", "b"):
        tag = f"localhost/{unique('envman-team')}:{which}"
        containerfile = work / f"Containerfile.{which}"
        containerfile.write_text(
            f"FROM {BASE_IMAGE}\nLABEL envman.test.team-image={which}\n"
            f"RUN echo {which} > /etc/team-image\n"
        )
        built = podman("build", "-q", "-t", tag, "-f", str(containerfile), str(work))
        assert built.returncode == 0, built.stderr
        images.append(tag)
        ids.append(built.stdout.strip().splitlines()[-1])
    found = Publisher(
        htpasswd_registry,
        work,
        auth_file,
        load_private_key(Path(keys[0].private), "pass"),
        Path(keys[0].public),
        load_private_key(Path(keys[1].private), "pass"),
        (images[0], images[1]),
    )
    yield found
    podman("rmi", "-f", *ids)  # pulls name them by digest too: only the id removes them all


@dataclass
class Laptop:
    """A fresh user (XDG dirs, HOME) with the team registry configured and a profile."""

    envman: Envman
    name: str
    content_hash: str  # the team image's: without this host's own CAs
    local_hash: str  # the local build's (the tag up gives the image)

    def up(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.envman.run("up", self.name, *args)


@pytest.fixture
def laptop(publisher: Publisher, tmp_path: Path) -> Iterator[Laptop]:
    home = tmp_path / "home"
    home.mkdir()
    envman = make_envman(
        tmp_path / "user",
        user_env={"HOME": str(home), "REGISTRY_AUTH_FILE": str(publisher.auth_file)},
    )
    envman.run(
        "config", "registry", "add", publisher.team, "--key", str(publisher.public), check=True
    )
    name = unique("itest-pull")
    envman.write_profile(name, f"envman: 1\nimage: {PROFILE_IMAGE}\nenv: {{TEAM: '1'}}\n")
    shown = envman.run("profile", "show", name, check=True).stdout
    local_hash, content_hash = hashes_of(shown)
    yield Laptop(envman, name, content_hash, local_hash)
    for _attempt in range(3):  # podman 4.3 lists images badly while others remove theirs
        if envman.run("rm", "-y", name).returncode in (0, ExitCode.ENV_NOT_FOUND):
            break
    podman("rmi", "-f", f"localhost/envman/{name}:{local_hash[:12]}")


def hashes_of(shown: str) -> tuple[str, str]:
    """`profile show`'s content hash, and the team image's (differs when the host has own CAs)."""
    local = shown.split("# content hash: ", 1)[1].split(maxsplit=1)[0]
    marker = "# team image hash (without this host's CAs): "
    return local, shown.split(marker, 1)[1].split(maxsplit=1)[0] if marker in shown else local


def _refused(laptop: Laptop, *needles: str) -> None:
    """up exits 31 naming the image and the reason; no image, no container, nothing built."""
    result = laptop.up()
    assert result.returncode == ExitCode.SIGNATURE_REJECTED, result.stderr
    assert f"{NAMESPACE}/{laptop.name}:{laptop.content_hash}" in result.stderr
    for needle in needles:
        assert needle in result.stderr
    assert "building" not in result.stderr
    assert podman("container", "exists", laptop.name).returncode == 1
    assert (
        podman(
            "image", "exists", f"localhost/envman/{laptop.name}:{laptop.local_hash[:12]}"
        ).returncode
        == 1
    )


def test_up_pulls_the_verified_image_and_records_where_it_came_from(
    publisher: Publisher, laptop: Laptop
) -> None:
    pushed, digest, manifest = publisher.push(laptop.name, laptop.content_hash)
    publisher.attach(pushed, manifest)
    source = f"{pushed.rpartition(':')[0]}@{digest}"

    asked = f"/manifests/{hash_tag(laptop.content_hash)}"
    before = len(publisher.registry.access_lines(asked))
    planned = json.loads(laptop.up("--dry-run", "--json").stdout)
    assert len(publisher.registry.access_lines(asked)) == before + 1  # the lookup: one request
    assert [s["kind"] for s in planned["steps"]] == ["pull", "create"]
    assert pushed in planned["steps"][0]["reason"] and digest in planned["steps"][0]["reason"]

    result = laptop.up("--json")
    assert result.returncode == 0, result.stderr
    done = json.loads(result.stdout)
    assert (done["action"], done["built"], done["pulled_from"]) == ("created", False, source)
    assert [s["kind"] for s in done["plan"]["steps"]] == ["pull", "create"]
    assert "building" not in result.stderr
    tag = f"localhost/envman/{laptop.name}:{laptop.local_hash[:12]}"
    inspect = json.loads(podman("image", "inspect", tag).stdout)[0]
    assert source in inspect["RepoDigests"]
    assert inspect["Labels"]["envman.test.team-image"] == "a"

    status = laptop.envman.json("status", laptop.name)
    assert status["pulled_from"] == source and status["stale"] is False
    rows = laptop.envman.json("history", laptop.name)
    assert rows[0]["pulled_from"] == source
    lookups = len(publisher.registry.access_lines(f"/manifests/{hash_tag(laptop.content_hash)}"))
    again = laptop.up("--json")
    assert json.loads(again.stdout)["action"] == "up-to-date"
    # a no-op up whose image is here does not ask the registry at all
    after = publisher.registry.access_lines(f"/manifests/{hash_tag(laptop.content_hash)}")
    assert len(after) == lookups


def test_an_unsigned_image_is_refused(publisher: Publisher, laptop: Laptop) -> None:
    publisher.push(laptop.name, laptop.content_hash)
    _refused(laptop, "no-signature")


def test_a_signature_by_an_untrusted_key_is_refused(publisher: Publisher, laptop: Laptop) -> None:
    pushed, _, manifest = publisher.push(laptop.name, laptop.content_hash)
    publisher.attach(pushed, manifest, key=publisher.other_key)
    _refused(laptop, "bad-signature", str(publisher.public))


def test_a_signature_for_another_identity_is_refused(publisher: Publisher, laptop: Laptop) -> None:
    pushed, _, manifest = publisher.push(laptop.name, laptop.content_hash)
    publisher.attach(pushed, manifest, identity=pushed.rpartition(":")[0] + ":latest")
    _refused(laptop, "identity-mismatch")


def test_a_retagged_image_with_another_images_signature_is_refused(
    publisher: Publisher, laptop: Laptop
) -> None:
    # Image a is signed; then the tag is moved to image b, and a's signature copied for b.
    pushed, _, signed_manifest = publisher.push(laptop.name, laptop.content_hash, image=0)
    _, moved, _ = publisher.push(laptop.name, laptop.content_hash, image=1)
    publisher.attach(pushed, signed_manifest, under=moved)
    _refused(laptop, "digest-mismatch")


def test_a_manifest_that_does_not_match_its_digest_is_refused(
    publisher: Publisher, laptop: Laptop
) -> None:
    pushed, digest, manifest = publisher.push(laptop.name, laptop.content_hash)
    publisher.attach(pushed, manifest)
    hexdigest = digest.removeprefix("sha256:")
    stored = (
        publisher.registry.data
        / f"docker/registry/v2/blobs/sha256/{hexdigest[:2]}/{hexdigest}/data"
    )
    original = stored.read_bytes()
    stored.write_bytes(original.replace(b'"schemaVersion": 2', b'"schemaVersion":2 '))
    if stored.read_bytes() == original:
        stored.write_bytes(original + b" ")
    try:
        _refused(laptop, "does not match its digest")
    finally:
        stored.write_bytes(original)


def test_no_build_with_nothing_published_exits_35(laptop: Laptop) -> None:
    result = laptop.up("--no-build")
    assert result.returncode == ExitCode.IMAGE_NOT_PUBLISHED, result.stderr
    assert "--no-build" in result.stderr and "the team registry has no" in result.stderr
    assert podman("container", "exists", laptop.name).returncode == 1


@pytest.fixture
def silent_registry() -> Iterator[str]:
    """A port that accepts connections and never answers (a black hole, not a refusal)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield f"127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_an_unreachable_registry_builds_locally_with_a_note(
    publisher: Publisher, laptop: Laptop, silent_registry: str
) -> None:
    laptop.envman.run("config", "registry", "remove", publisher.team, check=True)
    laptop.envman.run(
        "config", "registry", "add", f"{silent_registry}/team", "--key", str(publisher.public),
        check=True,
    )  # fmt: skip
    result = laptop.up("--json")
    assert result.returncode == 0, result.stderr
    done = json.loads(result.stdout)
    assert (done["action"], done["built"], done["pulled_from"]) == ("created", True, "")
    reason = done["plan"]["steps"][0]["reason"]
    assert "the team registry was not asked" in reason and silent_registry in reason


@pytest.mark.rootless
def test_rootless_up_pulls_the_verified_image(publisher: Publisher, rootless: Envman) -> None:
    envman = rootless
    shared = envman.root / "team"  # the login and the key, readable by the rootless user
    shared.mkdir()
    for source in (publisher.auth_file, publisher.public):
        shutil.copy(source, shared / source.name)
    subprocess.run(["chown", "-R", "tester:tester", str(shared)], check=True)
    key = str(shared / publisher.public.name)
    envman.run("config", "registry", "add", publisher.team, "--key", key, check=True)
    name = unique("itest-pull-rootless")
    envman.write_profile(name, f"envman: 1\nimage: {PROFILE_IMAGE}\n")
    shown = envman.run("profile", "show", name, check=True).stdout
    _, content_hash = hashes_of(shown)
    pushed, digest, manifest = publisher.push(name, content_hash)
    publisher.attach(pushed, manifest)
    no_login = envman.run("up", name)
    assert no_login.returncode == ExitCode.REGISTRY_AUTH_FAILED, no_login.stderr
    assert f"podman login {publisher.registry.host}" in no_login.stderr
    envman.prefix.append(f"REGISTRY_AUTH_FILE={shared / publisher.auth_file.name}")
    image_id = ""
    try:
        result = envman.run("up", name, "--json")
        assert result.returncode == 0, result.stderr
        done = json.loads(result.stdout)
        image_id = done["image_id"]
        source = f"{pushed.rpartition(':')[0]}@{digest}"
        assert (done["built"], done["pulled_from"]) == (False, source)
        assert envman.run("run", name, "--", "cat", "/etc/team-image", check=True).stdout == "a\n"
    finally:
        removed = envman.run("rm", "-y", name)
        gone = podman("image", "exists", image_id or "none", user_prefix=PODMAN_AS_USER)
        if image_id and gone.returncode == 0:
            podman("rmi", "-f", image_id, user_prefix=PODMAN_AS_USER)
    assert removed.returncode == 0, removed.stderr
    assert gone.returncode == 1  # rm removes the pulled image, digest names and all


def test_the_lock_pins_the_published_digest_even_when_the_tag_moves(
    publisher: Publisher, laptop: Laptop
) -> None:
    envman = laptop.envman
    lock_file = envman.work / "profiles" / "envman.lock"
    locked_hash = laptop.content_hash  # the base is as locked: up hashes as without the lock
    pushed, digest_a, manifest_a = publisher.push(laptop.name, locked_hash, image=0)
    publisher.attach(pushed, manifest_a)
    envman.run("lock", laptop.name, check=True)  # now the registry has it: the lock says which
    source = f"{pushed.rpartition(':')[0]}@{digest_a}"
    assert f"published: {source}\n" in lock_file.read_text()
    _, digest_b, manifest_b = publisher.push(laptop.name, locked_hash, image=1)
    assert digest_b != digest_a
    publisher.attach(pushed, manifest_b)  # b is signed too, and the tag is b's now

    result = laptop.up("--json")
    assert result.returncode == 0, result.stderr
    done = json.loads(result.stdout)
    assert (done["built"], done["pulled_from"]) == (False, source)
    assert "pinned by envman.lock" in done["plan"]["steps"][0]["reason"]
