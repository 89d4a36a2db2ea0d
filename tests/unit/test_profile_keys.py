"""Each declared key round-trips through merge, ini and explain; README's table is fresh."""

from __future__ import annotations

import os
import re
from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from envman.engine.types import ContainerSpec
from envman.errors import ExitCode, ProfileSchemaError
from envman.lockfile_format import LockedProfile, runtime_changes, runtime_digests
from envman.profile.ini_read import read_ini_profiles
from envman.profile.ini_write import write_ini_profiles
from envman.profile.keys import BY_FIELD, KEYS, markdown_table, run_settings
from envman.profile.locations import flatten
from envman.profile.merge import META_MERGE, conflicting_scalars, merge
from envman.profile.model import Profile
from envman.profile.resolver import resolve
from envman.profile.yaml_format import profile_to_data, read_yaml_profile
from envman.render.container import container_spec, spec_hash
from envman.state import EnvState, render_run_file
from tests.helpers import REPO, assert_golden
from tests.unit.test_render import FACTS

# For each key: a value in the included profile (base) and one in the including profile (own).
SAMPLES: dict[str, tuple[Any, Any]] = {
    "version": ("1", "2"),
    "description": ("base", "own"),
    "image": ("debian:12", "fedora:41"),
    "packages": (["git"], ["vim"]),
    "build.containerfile": ("base.Containerfile", "own.Containerfile"),
    "build.steps": (["ENV A=1"], ["ENV B=2"]),
    "env": ({"A": "1"}, {"B": "2"}),
    "volumes": (["/a:/a"], ["/b:/b"]),
    "hooks": ([{"run": ["true"]}], [{"run": ["false"]}]),
    "exports.apps": (["org.a.A"], ["org.b.B"]),
    "exports.bins": (["/usr/bin/a"], ["/usr/bin/b"]),
    "exports.bins_path": ("~/a", "~/b"),
    "exports.label": (True, False),
    "integration.home": (True, False),
    "integration.display": (True, False),
    "integration.audio": (True, False),
    "integration.dbus": (True, False),
    "integration.ssh_agent": (True, False),
    "integration.gpg_agent": (True, False),
    "integration.kerberos": (True, False),
    "integration.host_certificates": (True, False),
    "integration.nvidia": (True, False),
    "integration.init": (True, False),
    "integration.root": (True, False),
    "integration.unshare": (["ipc"], ["netns"]),
    "hostname": ("a-box", "b-box"),
    "podman_args": (["--cap-add", "A"], ["--cap-add", "B"]),
    "shm_size": ("64m", "1g"),
    "workdir": ("/a", "/b"),
    "distrobox.entry": (True, False),
    "distrobox.start_now": (True, False),
    "distrobox.pull": (True, False),
    "distrobox.replace": (True, False),
    "distrobox.clone": ("a", "b"),
}
NOT_MERGED = ("envman", "name", "include")  # the including profile's own, by definition


def nested(values: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"envman": 1}
    for path, value in values.items():
        *groups, last = path.split(".")
        here = data
        for group in groups:
            here = here.setdefault(group, {})
        here[last] = value
    return data


def model_fields(cls: type, prefix: str = "") -> list[str]:
    names = []
    for f in fields(cls):
        default = f.default if f.default is not f.default_factory else None
        if is_dataclass(default) and not prefix and f.name not in META_MERGE:
            names += model_fields(type(default), f"{f.name}.")
        else:
            names.append(f"{prefix}{f.name}")
    return names


def test_every_model_field_is_declared_once() -> None:
    undeclared = [
        name for name in model_fields(Profile) if name not in BY_FIELD and name not in META_MERGE
    ]
    assert undeclared == []
    attrs = [key.field for key in KEYS if key.field]
    assert len(attrs) == len(set(attrs))


def test_every_key_has_a_sample() -> None:
    assert sorted(SAMPLES) == sorted({k.path for k in KEYS} - set(NOT_MERGED))


@pytest.fixture
def merged(tmp_path: Path) -> Profile:
    base = {path: pair[0] for path, pair in SAMPLES.items()}
    own = {path: pair[1] for path, pair in SAMPLES.items()}
    dirs = (tmp_path / "profiles", tmp_path / "none", tmp_path / "none2")
    dirs[0].mkdir()
    (dirs[0] / "base.yaml").write_text(yaml.safe_dump(nested(base), sort_keys=False))
    (dirs[0] / "own.yaml").write_text(yaml.safe_dump({**nested(own), "include": ["base"]}))
    (dirs[0] / "partial.yaml").write_text("envman: 1\ninclude: [base]\n")
    return resolve("own", dirs, tmp_path)[1]


def value_at(data: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        data = data.get(part, {})
    return data


@pytest.mark.parametrize("key", [k for k in KEYS if k.path in SAMPLES], ids=lambda k: k.field)
def test_every_key_merges_by_its_rule(key: Any, merged: Profile) -> None:
    base, own = SAMPLES[key.path]
    got = value_at(profile_to_data(merged), key.path)
    if key.field == "integration.custom_home":
        return  # the same YAML key as integration.home; merged in test_custom_home_merges
    expected: Any = {
        "scalar": own,
        "append-dedupe": base + own if isinstance(base, list) else None,
        "append": base + own if isinstance(base, list) else None,
        "map": {**base, **own} if isinstance(base, dict) else None,
    }[key.merge]
    if key.path == "hooks":
        expected = [{**h, "when": "build"} for h in expected]
    assert got == expected


def test_an_included_value_survives_when_the_including_profile_leaves_it_unset(
    tmp_path: Path,
) -> None:
    dirs = (tmp_path / "profiles", tmp_path / "none", tmp_path / "none2")
    dirs[0].mkdir()
    base = {path: pair[0] for path, pair in SAMPLES.items()}
    (dirs[0] / "base.yaml").write_text(yaml.safe_dump(nested(base), sort_keys=False))
    (dirs[0] / "own.yaml").write_text("envman: 1\ninclude: [base]\n")
    data = profile_to_data(resolve("own", dirs, tmp_path)[1])
    for path, (value, _) in SAMPLES.items():
        got = value_at(data, path)
        assert got == ([{**value[0], "when": "build"}] if path == "hooks" else value), path


def test_custom_home_merges() -> None:
    base = read_yaml_profile("envman: 1\nintegration: {home: ~/a}\n", "b.yaml", "b")
    own = read_yaml_profile("envman: 1\nintegration: {home: ~/b}\n", "o.yaml", "o")
    assert merge(base, own).integration.custom_home == "~/b"
    assert merge(base, read_yaml_profile("envman: 1\n", "o.yaml", "o")).integration.custom_home


def test_every_value_is_explained_with_its_file_and_line(merged: Profile) -> None:
    rows = [(key, merged.locations.get(key)) for key, _, _ in flatten(profile_to_data(merged))]
    missing = [
        key
        for key, origin in rows
        if key not in ("envman", "name") and (origin is None or not origin.line)
    ]
    assert missing == []
    explained = [key for key, _ in rows]
    for path in (k.path for k in KEYS if k.path in SAMPLES):
        assert any(key == path or key.startswith((f"{path}.", f"{path}[")) for key in explained)


INI_SAMPLES = {
    "image": "fedora:41",
    "packages": ["git", "vim"],
    "volumes": ["/a:/a"],
    "exports.apps": ["org.a.A"],
    "exports.bins": ["/usr/bin/a"],
    "exports.bins_path": "~/a",
    "integration.home": "~/boxes/x",
    "integration.nvidia": True,
    "integration.init": True,
    "integration.root": True,
    "integration.unshare": ["ipc", "netns", "process", "devsys", "groups"],
    "hostname": "a-box",
    "podman_args": ["--cap-add", "A"],
    "hooks": [{"sh": "true"}],
    "distrobox.entry": True,
    "distrobox.start_now": True,
    "distrobox.pull": True,
    "distrobox.replace": False,
    "distrobox.clone": "a",
}


def test_every_key_with_an_ini_key_round_trips_through_ini() -> None:
    assert sorted(INI_SAMPLES) == sorted({k.path for k in KEYS if k.ini} - {"include"})
    profile = read_yaml_profile(yaml.safe_dump(nested(INI_SAMPLES)), "x.yaml", "x")
    text, _ = write_ini_profiles([profile])
    back = profile_to_data(read_ini_profiles(text, "x.ini")[0])
    for path, value in INI_SAMPLES.items():
        expected = [{**value[0], "when": "build"}] if path == "hooks" else value
        assert value_at(back, path) == expected, path


def test_include_round_trips_through_ini() -> None:
    profiles = read_ini_profiles("[a]\nimage=x\n[b]\ninclude=a\n", "x.ini")
    assert profiles[1].includes == ("a",)


README_MARKERS = re.compile(
    r"(<!-- profile-keys:start -->\n)(.*?)(<!-- profile-keys:end -->)", re.DOTALL
)


def test_the_key_table_is_golden() -> None:
    assert_golden("profile/keys.md", markdown_table())


def test_the_readme_key_table_is_generated_from_the_declarations() -> None:
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    found = README_MARKERS.search(text)
    assert found, "README.md lacks the profile-keys markers"
    fresh = README_MARKERS.sub(lambda m: m[1] + markdown_table() + m[3], text)
    if os.environ.get("ENVMAN_UPDATE_GOLDEN") == "1":
        readme.write_text(fresh, encoding="utf-8")
    assert fresh == text, "README's key table is stale: ENVMAN_UPDATE_GOLDEN=1 rewrites it"


# shm_size, the key added end to end through the table


@pytest.mark.parametrize("value", ["64m", "1g", "1048576", "512k"])
def test_shm_size_accepts_podman_sizes(value: str) -> None:
    assert read_yaml_profile(f"envman: 1\nshm_size: {value}\n", "x.yaml", "x").shm_size == value


@pytest.mark.parametrize("value", ["lots", "0", "1t", "-1m", "1 g", "64mb"])
def test_shm_size_refuses_other_values_with_file_line_and_key(value: str) -> None:
    with pytest.raises(ProfileSchemaError) as info:
        read_yaml_profile(f"envman: 1\nshm_size: '{value}'\n", "x.yaml", "x")
    assert str(info.value).startswith("x.yaml:2: shm_size: ")
    assert info.value.exit_code == ExitCode.PROFILE_SCHEMA


def test_shm_size_reaches_the_container_spec_and_makes_ipc_private() -> None:
    def spec(text: str) -> ContainerSpec:
        p = read_yaml_profile(text, "x.yaml", "x")
        p = replace(p, integration=p.integration.with_defaults())
        return container_spec(p, FACTS, name="x", image="img", labels={})

    plain, sized = spec("envman: 1\n"), spec("envman: 1\nshm_size: 1g\n")
    assert plain.options == () and plain.host_ipc
    assert sized.options == (("shm_size", "1g"),) and not sized.host_ipc
    assert spec_hash(plain) != spec_hash(sized)


def test_shm_size_is_a_runtime_setting_and_old_locks_stay_current() -> None:
    p = read_yaml_profile("envman: 1\n", "x.yaml", "x")
    now = runtime_digests(p)
    assert "shm_size" in dict(now)
    before_the_key = tuple(pair for pair in now if pair[0] != "shm_size")
    entry = LockedProfile("x", "img", "sha256:" + "0" * 64, "h", runtime=before_the_key)
    assert runtime_changes(entry, now) == []
    sized = read_yaml_profile("envman: 1\nshm_size: 1g\n", "x.yaml", "x")
    assert runtime_changes(entry, runtime_digests(sized)) == ["shm_size"]


def test_shm_size_is_not_lost_silently_in_an_ini_export() -> None:
    profile = read_yaml_profile("envman: 1\nshm_size: 1g\n", "x.yaml", "x")
    text, warnings = write_ini_profiles([profile])
    assert "shm" not in text
    assert warnings == ["x: shm_size: the ini has no such key; distrobox gives no private /dev/shm"]


# workdir, a `run` key: written into the run-file by up, read by run and enter


def test_workdir_is_an_absolute_path_in_the_container() -> None:
    profile = read_yaml_profile("envman: 1\nworkdir: /src\n", "x.yaml", "x")
    assert profile.workdir == "/src" and run_settings(profile) == (("workdir", "/src"),)
    assert run_settings(read_yaml_profile("envman: 1\n", "x.yaml", "x")) == ()
    with pytest.raises(ProfileSchemaError) as info:
        read_yaml_profile("envman: 1\nworkdir: src\n", "x.yaml", "x")
    assert str(info.value).startswith("x.yaml:2: workdir: ")


def test_workdir_changes_neither_image_nor_container() -> None:
    plain = read_yaml_profile("envman: 1\n", "x.yaml", "x")
    moved = read_yaml_profile("envman: 1\nworkdir: /src\n", "x.yaml", "x")
    specs = [
        container_spec(
            replace(p, integration=p.integration.with_defaults()),
            FACTS,
            name="x",
            image="i",
            labels={},
        )
        for p in (plain, moved)
    ]
    assert spec_hash(specs[0]) == spec_hash(specs[1])
    assert runtime_digests(plain) == runtime_digests(moved)


@pytest.mark.parametrize("key", [k for k in KEYS if k.affects == "run"], ids=lambda k: k.path)
def test_every_run_key_reaches_the_run_file(key: Any) -> None:
    profile = sample_profile(1)
    state = EnvState("x", "", "", "", "", "", "c", "", "", "u", "/h")
    text = render_run_file(replace(state, run_settings=run_settings(profile)))
    assert f"{key.path}={SAMPLES[key.path][1]}\n" in text


def test_workdir_is_not_lost_silently_in_an_ini_export() -> None:
    profile = read_yaml_profile("envman: 1\nworkdir: /src\n", "x.yaml", "x")
    text, warnings = write_ini_profiles([profile])
    assert "/src" not in text
    assert warnings == [
        "x: workdir: the ini has no such key; distrobox enter starts in the current directory"
    ]


def sample_profile(side: int) -> Profile:
    data = nested({path: pair[side] for path, pair in SAMPLES.items()})
    return read_yaml_profile(yaml.safe_dump(data), "x.yaml", "x")


CLASHES = ("image", "hostname", "exported_bins_path", "init", "nvidia", "root", "entry")


def test_every_ini_scalar_set_on_both_sides_is_a_clash() -> None:
    clashes = conflicting_scalars(sample_profile(0), sample_profile(1))
    assert sorted(clashes) == sorted([*CLASHES, "start_now", "pull", "replace", "clone"])
    home = "envman: 1\nintegration: {{home: {}}}\n"
    homes = [read_yaml_profile(home.format(h), "x", "x") for h in ("~/a", "~/b")]
    assert conflicting_scalars(*homes) == ["home"]


def test_every_engine_option_a_key_declares_is_one_the_podman_adapter_maps() -> None:
    from envman.engine.podman_api import PODMAN_OPTIONS

    declared = {k.engine_option for k in KEYS if k.engine_option}
    assert declared and declared <= PODMAN_OPTIONS.keys()


def test_a_generation_saved_with_shm_size_as_a_field_reads_back_as_an_option() -> None:
    from envman.history import spec_from_data

    old = {"name": "x", "image": "i", "hostname": "h", "shm_size": "1g"}
    assert spec_from_data(old).options == (("shm_size", "1g"),)
    unset = {"name": "x", "image": "i", "hostname": "h", "shm_size": None}
    assert spec_from_data(unset).options == ()
