"""Publish and pull name team images the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from envman.registry.address import Repository
from envman.registry.published import hash_tag, repository_for, version_tag


def test_repository_is_namespace_then_profile() -> None:
    assert repository_for("127.0.0.1:5000/team", "ansible") == Repository(
        "127.0.0.1:5000", "team/ansible"
    )
    assert repository_for("harbor.example.com/dev/envs/", "Py39 Box") == Repository(
        "harbor.example.com", "dev/envs/py39-box"
    )


def test_hash_tag_is_the_bare_hex_digest() -> None:
    digest = "ab" * 32
    assert hash_tag(digest) == digest
    assert hash_tag("sha256:" + digest) == digest
    with pytest.raises(ValueError):
        hash_tag("latest")


def test_version_tag_is_tag_safe_or_none() -> None:
    assert version_tag("1.2.0") == "1.2.0"
    assert version_tag("2024 spring/b") == "2024-spring-b"
    assert version_tag(None) is None
    assert version_tag("...") is None


def test_a_laptops_own_cas_do_not_change_the_published_hash(tmp_path: Path) -> None:
    from envman.host.config import Config
    from envman.ops.build_inputs import resolve_profile
    from envman.paths import Paths

    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "tool.yaml").write_text(
        "envman: 1\nimage: localhost/debian:bookworm\npackages: [git]\n", encoding="utf-8"
    )
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    paths = Paths.from_env(env, cwd=tmp_path)
    ci = resolve_profile(paths, Config(), "tool", host_cas={})
    laptop = resolve_profile(paths, Config(), "tool", host_cas={"corp.crt": b"-----BEGIN x"})
    assert laptop.plan.content_hash != ci.plan.content_hash  # the local build trusts the CA
    assert laptop.published_hash == ci.published_hash == ci.plan.content_hash
