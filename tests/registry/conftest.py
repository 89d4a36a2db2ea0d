"""Fixtures: a real docker-registry with TLS from a test CA, htpasswd or token auth; auth files."""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.registry import client as client_module
from tests.registry.testbed import PASSWORD, USER, TestRegistry, free_port


def _require(tool: str) -> None:
    """Skip without the tool, or fail when CI requires the real thing."""
    if shutil.which(tool) is None:
        if os.environ.get("ENVMAN_REQUIRE_PODMAN") == "1":
            pytest.fail(
                f"{tool} is required here (ENVMAN_REQUIRE_PODMAN=1); scripts/setup-host --tests"
            )
        pytest.skip(f"{tool} is not installed")


def _registry(tmp_path_factory: pytest.TempPathFactory, auth: str) -> Iterator[TestRegistry]:
    for tool in ("docker-registry", "htpasswd", "openssl"):
        _require(tool)
    registry = TestRegistry(tmp_path_factory.mktemp(f"registry-{auth}"), free_port(), auth)
    try:
        registry.start()
        yield registry
    finally:
        registry.stop()


@pytest.fixture(scope="module")
def htpasswd_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestRegistry]:
    """A registry with a Basic (htpasswd, bcrypt) login, as many self-hosted ones have."""
    yield from _registry(tmp_path_factory, "htpasswd")


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestRegistry]:
    """A registry with `auth: token` and a token server, the Bearer flow Harbor and GitLab use."""
    yield from _registry(tmp_path_factory, "token")


def write_auth_file(path: Path, host: str, user: str = USER, password: str = PASSWORD) -> Path:
    """An auth file in podman's format with one login."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    path.write_text(json.dumps({"auths": {host: {"auth": token}}}))
    return path


@pytest.fixture(autouse=True)
def fresh_auth_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts like a new process (a later registry may reuse an earlier one's port)."""
    monkeypatch.setattr(client_module, "_SCHEMES", {})
    monkeypatch.setattr(client_module, "_TOKENS", {})


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME, XDG_RUNTIME_DIR at empty folders; no REGISTRY_AUTH_FILE, DOCKER_CONFIG, SSL_CERT_*."""
    for name in ("home", "runtime"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.delenv("DOCKER_CONFIG", raising=False)
    monkeypatch.delenv("REGISTRY_AUTH_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # system CAs as on a desktop: by hash
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return tmp_path
