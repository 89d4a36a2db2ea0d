"""The registry adapter against a real docker-registry with TLS from a test CA and htpasswd."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from envman.errors import ExitCode, RegistryAuthFailed, RegistryError, RegistryUnreachable
from envman.registry.client import RegistryClient, open_repository, sha256_digest
from envman.registry.trust import ssl_context
from tests.registry.conftest import write_auth_file
from tests.registry.testbed import TestRegistry

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def image_manifest(config: bytes, layer: bytes) -> bytes:
    """A minimal OCI image manifest for one config and one layer."""
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": sha256_digest(config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": sha256_digest(layer),
                    "size": len(layer),
                }
            ],
        },
        sort_keys=True,
    ).encode()


def push_image(client: RegistryClient, repo: str, tag: str, salt: str) -> tuple[bytes, str]:
    """Push a config, a layer and a manifest; the manifest and its digest."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "salt": salt}).encode()
    layer = f"layer {salt}".encode()
    client.put_blob(repo, config)
    client.put_blob(repo, layer)
    manifest = image_manifest(config, layer)
    return manifest, client.put_manifest(repo, tag, manifest, OCI_MANIFEST)


@pytest.fixture
def client(htpasswd_registry: TestRegistry, tmp_path: Path, clean_env: Path) -> RegistryClient:
    """A client with a stored login for the test registry."""
    auth = write_auth_file(tmp_path / "auth.json", htpasswd_registry.host)
    made = RegistryClient(htpasswd_registry.host, auth_files=[auth])
    yield made
    made.close()


def test_push_then_read_back_by_tag_and_digest(
    htpasswd_registry: TestRegistry, tmp_path: Path, clean_env: Path
) -> None:
    auth = write_auth_file(tmp_path / "auth.json", htpasswd_registry.host)
    client, repo = open_repository(f"{htpasswd_registry.host}/team/app", auth_files=[auth])
    assert (client.host, repo) == (htpasswd_registry.host, "team/app")
    manifest, digest = push_image(client, "team/app", "v1", "read-back")

    by_tag = client.get_manifest("team/app", "v1")
    by_digest = client.get_manifest("team/app", digest)

    assert by_tag.data == manifest == by_digest.data
    assert by_tag.digest == digest == by_digest.digest == sha256_digest(manifest)
    assert by_tag.media_type == OCI_MANIFEST
    config_digest = json.loads(manifest)["config"]["digest"]
    assert json.loads(client.get_blob("team/app", config_digest))["salt"] == "read-back"
    assert "v1" in client.tags("team/app")


def test_lookup_is_one_head_request(
    client: RegistryClient, htpasswd_registry: TestRegistry
) -> None:
    _, digest = push_image(client, "team/lookup", "v1", "lookup")
    fresh = RegistryClient(client.host, auth_files=client._auth_files)

    assert fresh.manifest_digest("team/lookup", "v1") == digest
    assert fresh.requests == 1
    assert len(htpasswd_registry.access_lines('"HEAD /v2/team/lookup/manifests/v1')) == 1
    assert fresh.manifest_digest("team/lookup", "v2") is None
    assert fresh.requests == 2


def test_existing_blob_is_not_uploaded_again(
    client: RegistryClient, htpasswd_registry: TestRegistry
) -> None:
    client.put_blob("team/dedup", b"same bytes")
    client.put_blob("team/dedup", b"same bytes")

    assert len(htpasswd_registry.access_lines('"POST /v2/team/dedup/blobs/uploads/')) == 1
    assert len(htpasswd_registry.access_lines('"HEAD /v2/team/dedup/blobs/sha256:')) == 2


def _stored_blob(registry: TestRegistry, digest: str) -> Path:
    """Where the filesystem driver keeps a blob's bytes."""
    hexpart = digest.removeprefix("sha256:")
    return registry.data / f"docker/registry/v2/blobs/sha256/{hexpart[:2]}/{hexpart}/data"


def test_tampered_manifest_and_blob_are_refused(
    client: RegistryClient, htpasswd_registry: TestRegistry
) -> None:
    manifest, digest = push_image(client, "team/tamper", "v1", "tamper")
    config_digest = json.loads(manifest)["config"]["digest"]
    _stored_blob(htpasswd_registry, digest).write_bytes(manifest.replace(b"amd64", b"arm64") + b" ")
    _stored_blob(htpasswd_registry, config_digest).write_bytes(b'{"tampered": true}')

    for ref in ("v1", digest):
        with pytest.raises(RegistryError, match="hashes to"):
            client.get_manifest("team/tamper", ref)
    with pytest.raises(RegistryError, match="other content"):
        client.get_blob("team/tamper", config_digest)


def test_missing_login_names_registry_and_podman_login(
    htpasswd_registry: TestRegistry, tmp_path: Path, clean_env: Path
) -> None:
    empty = RegistryClient(htpasswd_registry.host, auth_files=[tmp_path / "none.json"])

    with pytest.raises(RegistryAuthFailed) as caught:
        empty.manifest_digest("team/app", "v1")

    assert caught.value.exit_code == ExitCode.REGISTRY_AUTH_FAILED == 32
    assert htpasswd_registry.host in caught.value.message
    assert "none.json" in caught.value.message
    assert caught.value.hint == f"run `podman login {htpasswd_registry.host}`"


def test_wrong_login_is_refused_clearly(
    htpasswd_registry: TestRegistry, tmp_path: Path, clean_env: Path
) -> None:
    auth = write_auth_file(tmp_path / "auth.json", htpasswd_registry.host, password="wrong")
    wrong = RegistryClient(htpasswd_registry.host, auth_files=[auth])

    with pytest.raises(RegistryAuthFailed) as caught:
        wrong.put_blob("team/app", b"x")

    assert "refused the login of 'envman'" in caught.value.message
    assert str(auth) in caught.value.message
    assert f"podman login {htpasswd_registry.host}" in (caught.value.hint or "")


def test_untrusted_certificate_points_at_certs_d(
    htpasswd_registry: TestRegistry, tmp_path: Path, clean_env: Path
) -> None:
    untrusting = RegistryClient(htpasswd_registry.host, auth_files=[], certs_dirs=(tmp_path,))

    with pytest.raises(RegistryUnreachable) as caught:
        untrusting.manifest_digest("team/app", "v1")

    assert "not trusted" in caught.value.message
    assert f"/etc/containers/certs.d/{htpasswd_registry.host}/" in (caught.value.hint or "")


def test_refused_port_is_unreachable(clean_env: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        offline = RegistryClient(f"127.0.0.1:{port}", auth_files=[], certs_dirs=())
        with pytest.raises(RegistryUnreachable) as caught:
            offline.manifest_digest("team/app", "v1")

    assert caught.value.exit_code == ExitCode.REGISTRY_UNREACHABLE == 7
    assert f"127.0.0.1:{port} did not answer" in caught.value.message


def test_silent_registry_times_out_instead_of_hanging(clean_env: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # accepts TCP, never speaks TLS: the handshake must time out
        port = listener.getsockname()[1]
        silent = RegistryClient(f"127.0.0.1:{port}", auth_files=[], connect_timeout=0.5)
        error = _outcome_within(lambda: silent.manifest_digest("team/app", "v1"), 60)

    assert isinstance(error, RegistryUnreachable)


def test_system_cas_are_read_by_hash_on_demand(
    htpasswd_registry: TestRegistry,
    tmp_path: Path,
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hashed = tmp_path / "system-cas"
    hashed.mkdir()
    shutil.copy(htpasswd_registry.tls / "ca.crt", hashed / "test-ca.pem")
    subprocess.run(["openssl", "rehash", str(hashed)], check=True)
    monkeypatch.setenv("SSL_CERT_DIR", str(hashed))
    auth = write_auth_file(tmp_path / "auth.json", htpasswd_registry.host)

    context = ssl_context(htpasswd_registry.host, (tmp_path / "no-certs-d",))
    client = RegistryClient(htpasswd_registry.host, auth_files=[auth], certs_dirs=())

    assert context.get_ca_certs() == []  # nothing parsed up front
    assert client.manifest_digest("team/none", "v1") is None  # the CA was found by its hash


def test_tags_of_a_repository(client: RegistryClient) -> None:
    # docker-registry 2.8 ignores `n` on tags/list (pagination came in distribution 3)
    for tag in ("a1", "b2", "c3"):
        push_image(client, "team/pages", tag, "pages")

    assert sorted(client.tags("team/pages", page_size=2)) == ["a1", "b2", "c3"]
    assert client.tags("team/never-pushed") == []


def _outcome_within(call: Callable[[], object], seconds: float) -> BaseException | None:
    """Run `call` in a thread; its exception, or a test failure if it still runs after `seconds`."""
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the registry call hung"
    return outcome[0] if outcome else None


def test_a_dns_lookup_that_never_returns_is_not_waited_for(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def stuck_resolver(*args: object, **kwargs: object) -> object:
        release.wait(120)  # a resolver whose servers do not answer (offline, captive portal)
        raise socket.gaierror("released")

    monkeypatch.setattr(socket, "getaddrinfo", stuck_resolver)
    offline = RegistryClient("registry.example.com", auth_files=[], connect_timeout=0.3)
    try:
        error = _outcome_within(lambda: offline.manifest_digest("team/app", "v1"), 60)
    finally:
        release.set()

    assert isinstance(error, RegistryUnreachable)
    assert "looking up registry.example.com took longer than 0.3 s" in error.message


def test_an_unknown_host_name_is_unreachable(clean_env: Path) -> None:
    offline = RegistryClient("envman-test.invalid", auth_files=[])

    error = _outcome_within(lambda: offline.manifest_digest("team/app", "v1"), 60)

    assert isinstance(error, RegistryUnreachable)
    assert error.exit_code == 7


def test_requests_are_not_held_back_by_nagle(client: RegistryClient) -> None:
    # Nagle + the server's delayed ACK cost ~40 ms on every new connection's first request.
    client.manifest_digest("team/none", "v1")

    conn = client._transport._conn
    assert conn is not None and conn.sock is not None
    assert conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
