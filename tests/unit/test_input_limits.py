"""Limits on what envman reads: regular files of bounded size, include graphs, expansions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from envman.errors import ExitCode, ProfileSchemaError, ProfileSyntaxError
from envman.host.readfile import KIB, Refused, read_bytes, read_text
from envman.profile import resolver as store
from envman.profile.boundary import parse_failures, read_profile_text
from envman.profile.containerfile.ignore import IgnoreRules
from envman.profile.containerfile_format import read_containerfile_profile
from envman.profile.resolver import MAX_INCLUDE_DEPTH, resolve

FROM = "FROM docker.io/library/debian:bookworm\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(Refused, match="is a FIFO, not a regular file"):
        read_bytes(fifo, KIB)
    with pytest.raises(Refused, match="is a directory, not a regular file"):
        read_bytes(tmp_path, KIB)


def test_a_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * (KIB + 1))
    with pytest.raises(Refused, match="larger than 1 KiB"):
        read_bytes(path, KIB)
    path.write_bytes(b"x" * KIB)
    assert read_bytes(path, KIB) == b"x" * KIB


def test_non_utf8_text_names_the_line_of_the_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"one\ntwo\nthr\xffee\n")
    with pytest.raises(Refused) as caught:
        read_text(path, KIB)
    assert caught.value.line == 3
    with pytest.raises(ProfileSyntaxError, match=rf"^{path}:3: is not UTF-8 text$"):
        read_profile_text(path)


def test_the_parse_boundary_turns_a_stray_exception_into_exit_4(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ENVMAN_DEBUG", raising=False)
    with pytest.raises(ProfileSyntaxError) as caught, parse_failures("/p/x.yaml", "YAML"):
        raise RecursionError("maximum recursion depth exceeded")
    assert caught.value.exit_code == ExitCode.PROFILE_SYNTAX
    assert caught.value.message.startswith("/p/x.yaml: cannot be read as YAML (RecursionError")
    monkeypatch.setenv("ENVMAN_DEBUG", "1")
    with pytest.raises(RecursionError), parse_failures("/p/x.yaml", "YAML"):
        raise RecursionError("shown with its traceback when debugging")


def test_includes_nest_only_so_deep(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    depth = MAX_INCLUDE_DEPTH + 1
    for level in range(depth):
        write(profiles / f"p{level}.yaml", f"envman: 1\ninclude: [p{level + 1}]\n")
    write(profiles / f"p{depth}.yaml", "envman: 1\n")
    with pytest.raises(ProfileSchemaError, match=f"includes nest more than {MAX_INCLUDE_DEPTH}"):
        resolve("p0", (profiles,), tmp_path)


def test_a_diamond_multiplying_build_steps_is_refused(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    depth = 20  # the leaf's 10 steps, doubled at each level: 10 million steps
    write(profiles / f"a{depth}.yaml", "envman: 1\nbuild: {steps: [" + "RUN x, " * 10 + "]}\n")
    write(profiles / f"b{depth}.yaml", "envman: 1\n")
    for level in range(depth):
        for side in "ab":
            include = f"[a{level + 1}, b{level + 1}]"
            write(profiles / f"{side}{level}.yaml", f"envman: 1\ninclude: {include}\n")
    with pytest.raises(ProfileSchemaError, match="adds up to more than 10000 build steps"):
        resolve("a0", (profiles,), tmp_path)


def test_a_diamond_keeps_the_merge_rules(tmp_path: Path) -> None:
    """Resolved once each, the diamond's result is what resolving each path gave before."""
    profiles = tmp_path / "profiles"
    write(profiles / "d.yaml", "envman: 1\nimage: d\nbuild: {steps: [RUN d]}\npackages: [d]\n")
    write(profiles / "b.yaml", "envman: 1\ninclude: [d]\nimage: b\npackages: [b]\n")
    write(profiles / "c.yaml", "envman: 1\ninclude: [d]\npackages: [c]\n")
    write(profiles / "a.yaml", "envman: 1\ninclude: [b, c]\n")
    profile = resolve("a", (profiles,), tmp_path)[1]
    assert profile.packages == ("d", "b", "c")
    assert profile.build_steps == ("RUN d", "RUN d")
    assert profile.image == "d"  # c's resolved image (from d) wins over b's: later include


def test_variables_assigned_again_and_again_hit_a_budget() -> None:
    lines = [FROM, "ARG A=" + "x" * 60_000 + "\n"]
    lines += [f"ARG B{i}=$A$A\n" for i in range(40)]
    with pytest.raises(ProfileSyntaxError, match=r"^/p/Containerfile:\d+: ARG, ENV and LABEL"):
        read_containerfile_profile("".join(lines), "/p/Containerfile", "p")


def test_deeply_nested_variables_are_a_syntax_error() -> None:
    word = "${A:-" * 1000 + "x" + "}" * 1000
    with pytest.raises(ProfileSyntaxError, match=r"^/p/Containerfile:2: LABEL: variables are nest"):
        read_containerfile_profile(f"{FROM}LABEL v={word}\n", "/p/Containerfile", "p")


def test_a_bad_character_class_in_an_ignore_file_names_its_line() -> None:
    with pytest.raises(ProfileSyntaxError) as caught:
        IgnoreRules.from_text("# comment\na[z-b]\n", "/p/.containerignore")
    assert caught.value.message.startswith("/p/.containerignore:2: 'a[z-b]' is not a valid")


def test_ignore_patterns_match_as_before() -> None:
    rules = IgnoreRules.from_text("*a*a*a*a*a*a*a*a*b\n!keep*\n")
    assert not rules.excludes("a" * 12)
    assert rules.excludes("xaaaaaaaaab") and rules.excludes("dir/aaaaaaaaab/file") is False
    assert not rules.excludes("keepaaaaaaaab")


def test_an_ini_file_is_parsed_once_however_many_sections_include(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sections = [f"[s{i}]\nimage=debian\nadditional_packages=p{i}\n" for i in range(40)]
    includes = "".join(f"include=s{i}\n" for i in range(40))
    ini = write(tmp_path / "profiles" / "team.ini", f"[top]\n{includes}\n" + "\n".join(sections))
    parsed: list[str] = []
    real = store.read_ini_profiles

    def counting(text: str, file: str) -> object:
        parsed.append(file)
        return real(text, file)

    monkeypatch.setattr(store, "read_ini_profiles", counting)
    profile = resolve(f"{ini}#top", (ini.parent,), tmp_path)[1]
    assert profile.packages[-1] == "p39"
    assert parsed == [str(ini)]  # was once per include lookup and per section: 82 times
