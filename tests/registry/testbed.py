"""A real registry (Debian's docker-registry) on loopback: test CA, TLS, htpasswd or tokens."""

from __future__ import annotations

import base64
import http.server
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

SYSTEM_CERTS_D = Path("/etc/containers/certs.d")
USER = "envman"
PASSWORD = "s3cret-pass"
SERVICE = "envman-test-registry"
ISSUER = "envman-test-issuer"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(*argv: str, cwd: Path | None = None, input_bytes: bytes | None = None) -> bytes:
    """Run a tool; fail loudly."""
    result = subprocess.run(argv, cwd=cwd, input=input_bytes, capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout


def make_tls(folder: Path) -> None:
    """A test CA and a server certificate for 127.0.0.1 / localhost (TESTBED.md section 7)."""
    folder.mkdir(parents=True)
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
    run("openssl", "req", "-x509", *ec, "-days", "2", "-subj", "/CN=envman test CA",
        "-keyout", "ca.key", "-out", "ca.crt", cwd=folder)  # fmt: skip
    run("openssl", "req", *ec, "-subj", "/CN=127.0.0.1",
        "-keyout", "server.key", "-out", "server.csr", cwd=folder)  # fmt: skip
    (folder / "ext.cnf").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "extendedKeyUsage=serverAuth\n"
    )
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "server.crt",
        cwd=folder)  # fmt: skip


def make_signer(folder: Path) -> None:
    """A self-signed RSA certificate the token server signs with (the registry's rootcertbundle)."""
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=envman test token signer", "-keyout", "signer.key", "-out", "signer.crt",
        cwd=folder)  # fmt: skip


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_token(folder: Path, subject: str, access: list[dict[str, object]]) -> str:
    """An RS256 JWT in the registry's token format, with the signer certificate as x5c."""
    der = run("openssl", "x509", "-in", str(folder / "signer.crt"), "-outform", "DER")
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
    now = int(time.time())
    claims = {
        "iss": ISSUER, "sub": subject, "aud": SERVICE, "exp": now + 300, "nbf": now - 10,
        "iat": now, "jti": uuid.uuid4().hex, "access": access,
    }  # fmt: skip
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    signature = run(
        "openssl", "dgst", "-sha256", "-sign", str(folder / "signer.key"),
        input_bytes=signing_input.encode(),
    )  # fmt: skip
    return f"{signing_input}.{_b64url(signature)}"


@dataclass
class TokenServer:
    """A tiny HTTPS token service: Basic login in, a JWT granting the asked scopes out."""

    folder: Path
    port: int
    requests: list[str] = field(default_factory=list)
    server: http.server.ThreadingHTTPServer | None = None

    def start(self) -> None:
        """Serve in a thread on 127.0.0.1:port with the test server certificate."""
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                query = parse_qs(urlsplit(self.path).query)
                auth = self.headers.get("Authorization", "")
                expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                if auth and auth != expected:
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                access = []
                if auth:  # anonymous callers get a token that grants nothing
                    for scope in query.get("scope", []):
                        kind, name, actions = scope.split(":")
                        access.append({"type": kind, "name": name, "actions": actions.split(",")})
                token = sign_token(outer.folder, USER if auth else "", access)
                body = json.dumps({"token": token, "expires_in": 300}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.folder / "server.crt"), str(self.folder / "server.key"))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.server = server

    def stop(self) -> None:
        """Shut the server down."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class TestRegistry:
    """A running docker-registry: its address, its CA, its login, its log and storage."""

    __test__ = False  # not a test class, despite the name

    work: Path
    port: int
    auth: str  # "htpasswd" or "token"
    process: subprocess.Popen[bytes] | None = None
    token_server: TokenServer | None = None
    installed: list[Path] = field(default_factory=list)

    @property
    def host(self) -> str:
        """`127.0.0.1:PORT`."""
        return f"127.0.0.1:{self.port}"

    @property
    def tls(self) -> Path:
        """The folder with ca.crt, server.crt/key (and signer.crt/key)."""
        return self.work / "tls"

    @property
    def log(self) -> Path:
        """The registry's log (with its access log: one line per request)."""
        return self.work / "registry.log"

    @property
    def data(self) -> Path:
        """The registry's storage root."""
        return self.work / "data"

    def start(self) -> None:
        """Write the config, start the registry, trust its CA in certs.d, wait until it answers."""
        make_tls(self.tls)
        auth_yaml = self._auth_config()
        config = self.work / "registry.yml"
        config.write_text(
            "version: 0.1\n"
            "log: {level: error, accesslog: {disabled: false}}\n"
            f"storage: {{filesystem: {{rootdirectory: {self.data}}}, delete: {{enabled: true}}}}\n"
            f"http: {{addr: '{self.host}', tls: {{certificate: {self.tls}/server.crt, "
            f"key: {self.tls}/server.key}}}}\n"
            f"{auth_yaml}"
        )
        self._install_ca(self.host)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                ["docker-registry", "serve", str(config)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        self._wait_until_up()

    def _auth_config(self) -> str:
        """The registry's `auth:` section (and the token server, for token auth)."""
        if self.auth == "htpasswd":
            hashed = run("htpasswd", "-Bbn", USER, PASSWORD)
            (self.work / "htpasswd").write_bytes(hashed)
            return f"auth: {{htpasswd: {{realm: envman-test, path: {self.work}/htpasswd}}}}\n"
        make_signer(self.tls)
        token_port = free_port()
        self.token_server = TokenServer(self.tls, token_port)
        self.token_server.start()
        self._install_ca(f"127.0.0.1:{token_port}")
        return (
            f"auth: {{token: {{realm: 'https://127.0.0.1:{token_port}/token', service: {SERVICE}, "
            f"issuer: {ISSUER}, rootcertbundle: {self.tls}/signer.crt}}}}\n"
        )

    def _install_ca(self, host: str) -> None:
        """Trust the test CA for `host` as podman does (removed again by stop())."""
        folder = SYSTEM_CERTS_D / host
        folder.mkdir(parents=True, exist_ok=False)
        self.installed.append(folder)
        shutil.copy(self.tls / "ca.crt", folder / "ca.crt")

    def _wait_until_up(self) -> None:
        """Poll the TLS port for up to 20 s (the machine is shared and slow at times)."""
        context = ssl.create_default_context(cafile=str(self.tls / "ca.crt"))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {self.log.read_text()}")
            try:
                with (
                    socket.create_connection(("127.0.0.1", self.port), timeout=1) as raw,
                    context.wrap_socket(raw, server_hostname="127.0.0.1"),
                ):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"docker-registry did not come up: {self.log.read_text()}")

    def access_lines(self, needle: str) -> list[str]:
        """Access-log lines containing `needle` (e.g. `"HEAD /v2/team/app/manifests/v1`)."""
        return [line for line in self.log.read_text().splitlines() if needle in line]

    def stop(self) -> None:
        """Stop the registry and the token server; remove the certs.d folders this made."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.token_server is not None:
            self.token_server.stop()
        for folder in self.installed:
            shutil.rmtree(folder, ignore_errors=True)
