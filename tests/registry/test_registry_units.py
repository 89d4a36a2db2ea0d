"""Pure parts of the registry adapter: auth-file order and keys, challenges, addresses, certs.d."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from envman.errors import RegistryError
from envman.registry.address import check_reference, parse_repository, split_host_port
from envman.registry.challenge import parse_challenge
from envman.registry.credentials import auth_file_paths, find_credentials
from envman.registry.trust import host_certs_dir, ssl_context


def _auth(user: str, password: str) -> dict[str, str]:
    return {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_registry_auth_file_replaces_the_search() -> None:
    env = {"REGISTRY_AUTH_FILE": "/x/auth.json", "XDG_RUNTIME_DIR": "/run/user/7", "HOME": "/h"}
    assert auth_file_paths(env) == [Path("/x/auth.json")]


def test_auth_files_in_podmans_order() -> None:
    env = {"XDG_RUNTIME_DIR": "/run/user/7", "HOME": "/h"}
    assert auth_file_paths(env) == [
        Path("/run/user/7/containers/auth.json"),
        Path("/h/.config/containers/auth.json"),
        Path("/h/.docker/config.json"),
    ]
    no_runtime = auth_file_paths({"HOME": "/h", "DOCKER_CONFIG": "/d"})
    expected = "/run/containers/0" if os.getuid() == 0 else f"/run/user/{os.getuid()}/containers"
    assert no_runtime[0] == Path(expected) / "auth.json"
    assert no_runtime[2] == Path("/d/config.json")


def test_most_specific_key_and_first_file_win(tmp_path: Path) -> None:
    first = tmp_path / "auth.json"
    first.write_text(
        json.dumps(
            {
                "auths": {
                    "reg.example:5000": _auth("host", "a"),
                    "reg.example:5000/team": _auth("team", "b"),
                }
            }
        )
    )
    docker = tmp_path / "config.json"
    docker.write_text(json.dumps({"auths": {"https://other.example/v1/": _auth("legacy", "c")}}))

    team = find_credentials("reg.example:5000", "team/app", [first, docker])
    other = find_credentials("reg.example:5000", "other/app", [first, docker])
    legacy = find_credentials("other.example", "x/y", [first, docker])

    assert team is not None and (team.username, team.password, team.source) == ("team", "b", first)
    assert other is not None and other.username == "host"
    assert legacy is not None and (legacy.username, legacy.source) == ("legacy", docker)
    assert find_credentials("nowhere.example", "x/y", [first, docker, tmp_path / "missing"]) is None


def test_broken_auth_files_and_entries_are_skipped(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({"auths": {"r.example": {"auth": "!!notbase64"}}}))
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"auths": {"r.example": _auth("u", "p:with:colons")}}))

    found = find_credentials("r.example", "a/b", [broken, odd, good])

    assert found is not None and (found.username, found.password) == ("u", "p:with:colons")


def test_bearer_and_basic_challenges() -> None:
    bearer = parse_challenge(
        'Bearer realm="https://auth.example/jwt/auth",service="container_registry",'
        'scope="repository:team/app:pull,push",error="insufficient_scope"'
    )
    assert bearer is not None and bearer.scheme == "bearer"
    assert bearer.params["realm"] == "https://auth.example/jwt/auth"
    assert bearer.params["scope"] == "repository:team/app:pull,push"
    assert bearer.params["service"] == "container_registry"
    basic = parse_challenge('Basic realm="Harbor"')
    assert basic is not None and basic.scheme == "basic"
    assert parse_challenge("Negotiate abc") is None
    assert parse_challenge(None) is None


def test_repository_addresses() -> None:
    assert tuple(parse_repository("registry.example.com/team/images")) == (
        "registry.example.com",
        "team/images",
    )
    assert parse_repository("127.0.0.1:5000/a/b").host == "127.0.0.1:5000"
    assert split_host_port("127.0.0.1:5000") == ("127.0.0.1", 5000)
    assert split_host_port("[::1]:5000") == ("::1", 5000)
    assert split_host_port("r.example") == ("r.example", 443)
    for bad in (
        "team/images",
        "r.example/Team/x",
        "r.example/a/../b",
        "r.example/",
        "r.example:x/a",
    ):
        with pytest.raises(RegistryError):
            parse_repository(bad)
    for ref in ("../../v2", "a/b", "", "x" * 129):
        with pytest.raises(RegistryError):
            check_reference(ref)


def test_user_certs_d_comes_first(tmp_path: Path) -> None:
    user, system = tmp_path / "user", tmp_path / "system"
    (system / "r.example:5000").mkdir(parents=True)
    assert host_certs_dir("r.example:5000", (user, system)) == system / "r.example:5000"
    (user / "r.example:5000").mkdir(parents=True)
    assert host_certs_dir("r.example:5000", (user, system)) == user / "r.example:5000"
    assert host_certs_dir("other:1", (user, system)) is None


def test_unreadable_certificate_in_certs_d_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "r.example:5000"
    folder.mkdir()
    (folder / "ca.crt").write_text("not a certificate\n")

    with pytest.raises(RegistryError, match=r"ca\.crt: not a usable PEM certificate"):
        ssl_context("r.example:5000", (tmp_path,))
