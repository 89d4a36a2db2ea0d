"""A hand-made HTTPS registry: blobs redirected to storage (GitLab.com, S3), dropped connections."""

from __future__ import annotations

import http.server
import shutil
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.errors import RegistryError
from envman.registry.client import RegistryClient, sha256_digest
from tests.registry.conftest import write_auth_file
from tests.registry.testbed import make_tls

BLOB = b'{"config": "stored elsewhere"}'


class Storage(http.server.ThreadingHTTPServer):
    """One HTTPS server playing both registry (a 307 for the blob) and storage (the bytes)."""

    seen: list[tuple[str, str | None]]
    blob: bytes


class Handler(http.server.BaseHTTPRequestHandler):
    server: Storage
    protocol_version = "HTTP/1.1"  # keep-alive, so the client reuses the connection

    def do_HEAD(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        self._reply(404, b"", {})
        self.close_connection = True  # dropped without saying so, as idle timeouts and proxies do

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        host = f"127.0.0.1:{self.server.server_address[1]}"
        if self.path.startswith("/v2/"):
            if not self.headers.get("Authorization"):
                self._reply(401, b"", {"WWW-Authenticate": 'Basic realm="test"'})
            else:
                target = f"https://{host}/storage/blob?X-Signature=abc"
                self._reply(307, b"", {"Location": target})
        else:
            self._reply(200, self.server.blob, {"Content-Type": "application/octet-stream"})

    def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[tuple[Storage, tuple[Path, ...]]]:
    """The server, and a certs.d tree that trusts it."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    make_tls(tmp_path / "tls")
    server = Storage(("127.0.0.1", 0), Handler)
    server.seen, server.blob = [], BLOB
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(tmp_path / "tls/server.crt"), str(tmp_path / "tls/server.key"))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    certs = tmp_path / "certs.d" / f"127.0.0.1:{server.server_address[1]}"
    certs.mkdir(parents=True)
    shutil.copy(tmp_path / "tls/ca.crt", certs / "ca.crt")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, (tmp_path / "certs.d",)
    server.shutdown()
    server.server_close()


def test_redirected_blob_is_fetched_without_the_login(
    storage: tuple[Storage, tuple[Path, ...]], tmp_path: Path, clean_env: Path
) -> None:
    server, certs_dirs = storage
    host = f"127.0.0.1:{server.server_address[1]}"
    auth = write_auth_file(tmp_path / "auth.json", host)
    client = RegistryClient(host, auth_files=[auth], certs_dirs=certs_dirs)

    assert client.get_blob("team/app", sha256_digest(BLOB)) == BLOB
    assert server.seen[-1] == ("/storage/blob?X-Signature=abc", None)


def test_redirected_blob_is_still_checked(
    storage: tuple[Storage, tuple[Path, ...]], tmp_path: Path, clean_env: Path
) -> None:
    server, certs_dirs = storage
    server.blob = b"something else"
    host = f"127.0.0.1:{server.server_address[1]}"
    auth = write_auth_file(tmp_path / "auth.json", host)
    client = RegistryClient(host, auth_files=[auth], certs_dirs=certs_dirs)

    with pytest.raises(RegistryError, match="other content"):
        client.get_blob("team/app", sha256_digest(BLOB))


def test_a_dropped_kept_alive_connection_is_reopened(
    storage: tuple[Storage, tuple[Path, ...]], tmp_path: Path, clean_env: Path
) -> None:
    server, certs_dirs = storage
    host = f"127.0.0.1:{server.server_address[1]}"
    auth = write_auth_file(tmp_path / "auth.json", host)
    client = RegistryClient(host, auth_files=[auth], certs_dirs=certs_dirs)

    assert client.manifest_digest("team/app", "v1") is None
    assert client.manifest_digest("team/app", "v2") is None

    assert [path for path, _ in server.seen] == [
        "/v2/team/app/manifests/v1",
        "/v2/team/app/manifests/v2",
    ]
    assert client.requests == 3  # the second lookup met the closed connection and retried once
