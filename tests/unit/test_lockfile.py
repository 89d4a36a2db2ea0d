"""envman.lock's pure parts: the text, runtime digests, override checks, hashing FROM a digest."""

from __future__ import annotations

from dataclasses import replace

import pytest

from envman.errors import LockInvalid
from envman.lockfile_format import (
    LockedProfile,
    LockedSource,
    LockFile,
    override_mismatch,
    parse_lock,
    render_lock,
    runtime_changes,
    runtime_digests,
)
from envman.ops.lock_hash import as_tag
from envman.profile.model import FileLine, Hook, Profile
from envman.render.containerfile import seal, unsealed
from tests.helpers import assert_golden

DIGEST = "sha256:" + "ab" * 32
SHA = "cd" * 32


def profile(**changes: object) -> Profile:
    return replace(Profile(name="app", origin=FileLine("/home/me/profiles/app.yaml", 1)), **changes)


def entry(**changes: object) -> LockedProfile:
    base = LockedProfile(
        "app",
        SHA,
        "registry.example/fedora:41",
        DIGEST,
        (("app.yaml", SHA), ("envman:hooks/host-exec.sh", SHA)),
        (LockedSource("team", "v1", "1" * 40),),
        "localhost/fedora:41",
        runtime_digests(profile()),
    )
    return replace(base, **changes)


def test_the_text_reads_back_the_same_and_is_deterministic() -> None:
    lock = LockFile((entry(),))
    text = render_lock(lock)
    assert parse_lock(text, "envman.lock") == lock
    assert render_lock(parse_lock(text, "envman.lock")) == text
    assert_golden("lock/envman.lock", text)
    no_override = render_lock(LockFile((entry(base_override=""),)))
    assert "override" not in no_override


def test_runtime_digests_ignore_where_settings_were_written() -> None:
    moved = replace(profile(), origin=FileLine("/elsewhere/app.yaml", 9))
    assert runtime_digests(moved) == runtime_digests(profile())


def test_each_runtime_setting_is_named_when_it_changes() -> None:
    locked = entry()
    assert runtime_changes(locked, runtime_digests(profile())) == []
    edited = profile(env=(("EDITOR", "vim"),), podman_args=("--cap-add=SYS_PTRACE",))
    assert runtime_changes(locked, runtime_digests(edited)) == ["env", "podman_args"]
    create = Hook(when="create", run=("true",))
    assert runtime_changes(locked, runtime_digests(profile(hooks=(create,)))) == ["hooks"]
    host = Hook(when="host", run=("true",))
    assert runtime_changes(locked, runtime_digests(profile(hooks=(host,)))) == ["hooks"]
    start = Hook(when="start", run=("true",))  # baked into the image: the content hash has it
    assert runtime_changes(locked, runtime_digests(profile(hooks=(start,)))) == []
    assert runtime_changes(entry(runtime=()), runtime_digests(profile()))  # none locked: all


def test_an_override_must_be_the_same_on_both_machines() -> None:
    assert override_mismatch(entry(), "localhost/fedora:41") is None
    assert override_mismatch(entry(base_override=""), "") is None
    missing = override_mismatch(entry(), "")
    assert missing == (
        "the lock was written from localhost/fedora:41 (a local override of "
        "registry.example/fedora:41), which this machine does not have"
    )
    extra = override_mismatch(entry(base_override=""), "localhost/mine:41")
    assert extra == (
        "the lock is of registry.example/fedora:41 itself, which this machine overrides with "
        "localhost/mine:41"
    )
    other = override_mismatch(entry(), "localhost/mine:41")
    assert other is not None and "here registry.example/fedora:41 is overridden with" in other


def test_a_build_from_the_digest_hashes_as_the_build_from_the_tag_naming_it() -> None:
    files = {"envman/pkg-install": (b"#!/bin/sh\n", 0o755)}
    body = "USER root\nRUN true\n"
    tag = "localhost/debian:bookworm"
    labels = {"envman.profile": "app", "envman.base": tag}
    by_tag = seal(f"# x\nFROM {tag}\n{body}", files, tag, labels)
    pinned_ref = f"localhost/debian@{DIGEST}"
    pinned_labels = {**labels, "envman.base": pinned_ref}
    by_digest = seal(f"# x\nFROM {pinned_ref}\n{body}", files, pinned_ref, pinned_labels)
    assert by_digest.content_hash != by_tag.content_hash
    hashed = as_tag(by_digest, tag)
    assert hashed.content_hash == by_tag.content_hash
    assert hashed.labels == by_tag.labels
    assert f"FROM {pinned_ref}\n" in hashed.containerfile  # what is built stays pinned
    assert unsealed(hashed) == unsealed(by_digest)
    assert f'envman.hash="{by_tag.content_hash}"' in hashed.containerfile
    other = as_tag(seal(unsealed(by_digest), {}, pinned_ref, pinned_labels), tag)
    assert other.content_hash != by_tag.content_hash


def test_a_pinned_from_with_platform_hashes_as_the_tag_too() -> None:
    tag = "localhost/debian:bookworm"
    pinned_ref = f"localhost/debian@{DIGEST}"
    text = "FROM --platform=linux/amd64 {} AS base\nRUN <<EOF\nFROM {}\nEOF\n"
    by_tag = seal(text.format(tag, pinned_ref), {}, tag, {"envman.base": tag})
    by_digest = seal(text.format(pinned_ref, pinned_ref), {}, pinned_ref, {"envman.base": tag})
    assert as_tag(by_digest, tag).content_hash == by_tag.content_hash


def test_a_published_team_image_reads_back_and_is_checked() -> None:
    published = "registry.example.com/team/app@" + DIGEST
    lock = LockFile((entry(published=published),))
    text = render_lock(lock)
    assert f"published: {published}\n" in text
    assert parse_lock(text, "envman.lock") == lock
    assert "published" not in render_lock(LockFile((entry(),)))
    bad = text.replace(published, "registry.example.com/team/app:latest")
    with pytest.raises(LockInvalid, match=r"published.*REPOSITORY@sha256"):
        parse_lock(bad, "envman.lock")
