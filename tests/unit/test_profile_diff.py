"""Comparing two profiles as data: scalars, map keys, list items and build files."""

from __future__ import annotations

from envman.profile.diff import Change, context_changes, diff_data


def test_scalars_maps_and_lists() -> None:
    old = {"name": "a", "image": "x", "packages": ["git", "vim"], "env": {"A": "1", "B": "2"}}
    new = {"name": "a", "packages": ["git", "jq"], "env": {"A": "1", "B": "3", "C": "4"}}
    assert diff_data(old, new) == [
        Change("removed", "image", old="x"),
        Change("removed", "packages", old="vim"),
        Change("added", "packages", new="jq"),
        Change("changed", "env.B", "2", "3"),
        Change("added", "env.C", new="4"),
    ]


def test_nested_maps_appear_key_by_key() -> None:
    assert diff_data({}, {"integration": {"init": True, "unshare": ["ipc"]}}) == [
        Change("added", "integration.init", new=True),
        Change("added", "integration.unshare", new="ipc"),
    ]


def test_hooks_are_compared_whole_and_repeats_count() -> None:
    hook = {"run": ["make"], "when": "build"}
    changed = {"run": ["make"], "when": "create"}
    assert diff_data({"hooks": [hook, hook]}, {"hooks": [hook, changed]}) == [
        Change("removed", "hooks", old=hook),
        Change("added", "hooks", new=changed),
    ]


def test_a_reordered_list_is_one_change() -> None:
    steps = ["RUN a", "RUN b"]
    assert diff_data({"podman_args": steps}, {"podman_args": steps[::-1]}) == [
        Change("changed", "podman_args", steps, steps[::-1])
    ]


def test_identical_data_has_no_changes() -> None:
    assert diff_data({"name": "a", "packages": ["git"]}, {"name": "a", "packages": ["git"]}) == []


def test_build_files() -> None:
    old = {"a.sh": (b"1", 0o755), "b.sh": (b"x", 0o644)}
    new = {"a.sh": (b"2", 0o755), "c.sh": (b"y", 0o644)}
    assert [(c.kind, c.key) for c in context_changes(old, new)] == [
        ("changed", "a.sh"),
        ("removed", "b.sh"),
        ("added", "c.sh"),
    ]
    assert context_changes(old, old) == []
