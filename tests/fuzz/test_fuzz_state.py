"""Fuzzing the state readers: envs/NAME.json, the generation history and the run-file."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from envman import fastpath
from envman.engine.types import ContainerSpec, Mount
from envman.history import Generation, History, history_file, load_history, save_history
from envman.paths import Paths
from envman.state import EnvState, load_state, render_run_file, state_file
from tests.fuzz.guards import own_errors_only, scratch

STATE = EnvState(
    name="dev",
    profile_source="/p/dev.yaml",
    profile_version="1",
    content_hash="c" * 64,
    image="localhost/envman/dev:ccc",
    image_id="i" * 64,
    container_id="abc123",
    spec_hash="s",
    updated="2026-01-01T00:00:00+00:00",
    user="alice",
    home="/home/alice",
    visible_paths=("/home/alice",),
    forward_env=("DISPLAY",),
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
JSON_TOKENS = ["{", "}", "[", "]", ",", ":", '"', "\\ud800", "1" * 5000, "-", "1e999", "null"]


def paths_in(root: Path) -> Paths:
    return Paths.from_env({"XDG_STATE_HOME": str(root), "HOME": str(root)}, cwd=root)


def mutated(record: dict[str, Any], key: str | None, value: object) -> dict[str, Any]:
    """`record` with one of its keys (picked by `key`'s hash) replaced by `value`."""
    if key is None or not record:
        return record
    keys = sorted(record)
    return {**record, keys[hash(key) % len(keys)]: value}


def documents() -> st.SearchStrategy[bytes]:
    """Damaged JSON: random bytes, token soup, and any JSON value at all."""
    return st.one_of(
        st.binary(max_size=200),
        st.lists(st.sampled_from(JSON_TOKENS), max_size=30).map(lambda t: "".join(t).encode()),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.integers(1, 3000).map(lambda n: ("[" * n + "]" * n).encode()),
    )


@given(documents())
def test_state_file_any_bytes(data: bytes) -> None:
    with scratch() as root:
        paths = paths_in(root)
        path = state_file(paths, "dev")
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        own_errors_only(lambda: load_state(paths, "dev"))


@given(st.one_of(st.none(), st.text(max_size=4)), json_values)
def test_state_file_with_one_field_damaged(key: str | None, value: object) -> None:
    record = mutated(json.loads(json.dumps(asdict(STATE))), key, value)
    with scratch() as root:
        paths = paths_in(root)
        path = state_file(paths, "dev")
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(record), encoding="utf-8")
        own_errors_only(lambda: load_state(paths, "dev"))


def history_record(root: Path) -> dict[str, Any]:
    paths = paths_in(root)
    spec = ContainerSpec(
        name="dev",
        image="i",
        hostname="dev",
        mounts=(Mount("/a", "/b", ("ro",)),),
        env=(("A", "1"),),
    )
    generation = Generation(1, "i" * 64, "img", "1", "c" * 64, "now", "/p", "", spec)
    save_history(paths, History("dev", (generation,), 1))
    data: dict[str, Any] = json.loads(history_file(paths, "dev").read_text(encoding="utf-8"))
    return data


@given(documents())
def test_history_any_bytes(data: bytes) -> None:
    with scratch() as root:
        paths = paths_in(root)
        path = history_file(paths, "dev")
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        own_errors_only(lambda: load_history(paths, "dev"))


@given(
    st.one_of(st.none(), st.text(max_size=4)), st.sampled_from(["top", "gen", "spec"]), json_values
)
def test_history_with_one_field_damaged(key: str | None, where: str, value: object) -> None:
    with scratch() as root:
        record = history_record(root)
        if where == "top":
            record = mutated(record, key, value)
        elif where == "gen":
            record["generations"][0] = mutated(record["generations"][0], key, value)
        else:
            spec = record["generations"][0]["spec"]
            record["generations"][0]["spec"] = mutated(spec, key, value)
        paths = paths_in(root)
        history_file(paths, "dev").write_text(json.dumps(record), encoding="utf-8")
        own_errors_only(lambda: load_history(paths, "dev"))


RUN_LINES = [line.encode() for line in render_run_file(STATE).splitlines(keepends=True)]


@given(
    st.lists(st.one_of(st.sampled_from(RUN_LINES), st.binary(max_size=20)), max_size=12),
    st.sampled_from(["file", "fifo", "dir"]),
)
def test_run_file(lines: list[bytes], kind: str) -> None:
    with scratch() as root:
        previous = os.environ.get("XDG_STATE_HOME")
        os.environ["XDG_STATE_HOME"] = str(root)
        try:
            path = root / "envman" / "run" / "dev"
            path.parent.mkdir(parents=True)
            if kind == "fifo":
                os.mkfifo(path)
            elif kind == "dir":
                path.mkdir()
            else:
                path.write_bytes(b"".join(lines))
            info = own_errors_only(lambda: fastpath.read_run_file("dev"))
            if isinstance(info, dict):
                fastpath.exec_argv(info, [], fastpath.workdir(info, None), ["true"])
        finally:
            if previous is None:
                del os.environ["XDG_STATE_HOME"]
            else:
                os.environ["XDG_STATE_HOME"] = previous
