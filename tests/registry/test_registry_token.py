"""The Bearer token flow (Harbor, GitLab): docker-registry's `auth: token` and a token server."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from envman.errors import RegistryAuthFailed
from envman.registry import client as client_module
from envman.registry.client import RegistryClient
from tests.registry.conftest import write_auth_file
from tests.registry.test_registry_client import push_image
from tests.registry.testbed import TestRegistry


def test_bearer_flow_pushes_and_reads_with_the_stored_login(
    token_registry: TestRegistry, tmp_path: Path, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = write_auth_file(tmp_path / "auth.json", token_registry.host)
    client = RegistryClient(token_registry.host, auth_files=[auth])
    assert token_registry.token_server is not None

    manifest, digest = push_image(client, "team/bearer", "v1", "bearer")

    assert client.get_manifest("team/bearer", "v1").data == manifest
    for cache in ("_TOKENS", "_SCHEMES"):  # as in a new process
        monkeypatch.setattr(client_module, cache, {})
    reader = RegistryClient(token_registry.host, auth_files=[auth])
    tokens_before = len(token_registry.token_server.requests)

    assert reader.manifest_digest("team/bearer", "v1") == digest
    assert (reader.requests, len(token_registry.token_server.requests)) == (2, tokens_before + 1)
    assert reader.manifest_digest("team/bearer", "v1") == digest
    # the pull token is cached for the process: the next lookup is one HEAD, no token request
    assert (reader.requests, len(token_registry.token_server.requests)) == (3, tokens_before + 1)
    # another repository: the token service is known, so one token request and one HEAD
    assert reader.manifest_digest("team/other", "v1") is None
    assert (reader.requests, len(token_registry.token_server.requests)) == (4, tokens_before + 2)
    asked = token_registry.token_server.requests
    queries = [parse_qs(urlsplit(path).query) for path in asked]
    assert {"repository:team/bearer:pull,push", "repository:team/bearer:pull"} <= {
        scope for query in queries for scope in query["scope"]
    }
    assert all(query["service"] == ["envman-test-registry"] for query in queries)


def test_bearer_without_login_names_podman_login(
    token_registry: TestRegistry, tmp_path: Path, clean_env: Path
) -> None:
    client = RegistryClient(token_registry.host, auth_files=[tmp_path / "none.json"])

    with pytest.raises(RegistryAuthFailed) as caught:
        client.manifest_digest("team/private", "v1")

    assert caught.value.hint == f"run `podman login {token_registry.host}`"


def test_bearer_with_wrong_login_is_refused(
    token_registry: TestRegistry, tmp_path: Path, clean_env: Path
) -> None:
    auth = write_auth_file(tmp_path / "auth.json", token_registry.host, password="nope")
    client = RegistryClient(token_registry.host, auth_files=[auth])

    with pytest.raises(RegistryAuthFailed, match="refused the login of 'envman'"):
        client.manifest_digest("team/private", "v1")
