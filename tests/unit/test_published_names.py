"""Publish and pull name team images the same way."""

from __future__ import annotations

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
