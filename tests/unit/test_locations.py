"""Where each value was written: per-format locations, and how includes merge them."""

from __future__ import annotations

from pathlib import Path

from envman.profile.ini_format import read_ini_profiles
from envman.profile.locations import flatten, value_text
from envman.profile.model import FileLine
from envman.profile.resolver import resolve
from envman.profile.yaml_format import profile_to_data, read_yaml_profile
from tests.unit.test_yaml_format import FULL

DATA = Path(__file__).resolve().parent.parent / "data"

BASE = """\
envman: 1
image: docker.io/library/debian:bookworm
packages:
  - git
  - vim
env: {EDITOR: vim, PAGER: less}
hooks:
  - run: [echo, base]
podman_args: [--cap-add, SYS_PTRACE]
integration:
  home: ~/boxes/base
"""

TOP = """\
envman: 1
include: [base]
image: docker.io/library/debian:trixie
packages: [jq, git]
env:
  EDITOR: nano
hooks:
  - sh: echo top
podman_args: [--cap-add, NET_ADMIN]
integration: {home: true, init: true}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def unlocated(profile_data: dict[str, object], locations: dict[str, FileLine]) -> list[str]:
    return [key for key, _, _ in flatten(profile_data) if key not in locations and key != "envman"]


def test_every_yaml_value_has_its_line() -> None:
    p = read_yaml_profile(FULL, "web.yaml", "web")
    assert unlocated(profile_to_data(p), dict(p.locations)) == []
    assert p.locations["name"] == FileLine("web.yaml", 2)
    assert p.locations["packages[curl]"] == FileLine("web.yaml", 7)
    assert p.locations["env.PORT"] == FileLine("web.yaml", 13)
    assert p.locations["build.steps[0]"] == FileLine("web.yaml", 10)
    assert p.locations["hooks[1]"] == FileLine("web.yaml", 18)
    assert p.locations["hooks[1]"] == p.hooks[1].origin


def test_a_name_taken_from_the_file_name_points_at_the_file() -> None:
    p = read_yaml_profile("envman: 1\ninclude: base\n", "x.yaml", "x")
    assert p.locations["name"] == FileLine("x.yaml")
    assert p.locations["include[base]"] == FileLine("x.yaml", 2)


def test_every_ini_value_has_its_line() -> None:
    everything = read_ini_profiles((DATA / "ini" / "all_keys.ini").read_text(), "all.ini")[0]
    assert unlocated(profile_to_data(everything), dict(everything.locations)) == []
    assert everything.locations["name"] == FileLine("all.ini", 2)
    assert everything.locations["packages[htop]"] == FileLine("all.ini", 8)
    assert everything.locations["integration.home"] == FileLine("all.ini", 5)
    assert everything.locations["integration.unshare[ipc]"] == FileLine("all.ini", 29)
    assert everything.locations["podman_args[1]"] == FileLine("all.ini", 9)
    assert everything.locations["hooks[0]"] == FileLine("all.ini", 12)


def test_includes_keep_the_included_file_and_the_winning_scalar(tmp_path: Path) -> None:
    base = write(tmp_path / "profiles" / "base.yaml", BASE)
    top = write(tmp_path / "profiles" / "top.yaml", TOP)
    _, p = resolve("top", (tmp_path / "profiles",), tmp_path)
    at = p.locations
    assert at["image"] == FileLine(str(top), 3)  # the including profile's scalar wins
    assert at["packages[git]"] == FileLine(str(base), 4)  # a repeated item keeps the first
    assert at["packages[vim]"] == FileLine(str(base), 5)
    assert at["packages[jq]"] == FileLine(str(top), 4)
    assert at["env.EDITOR"] == FileLine(str(top), 6)
    assert at["env.PAGER"] == FileLine(str(base), 6)
    assert (at["hooks[0]"], at["hooks[1]"]) == (FileLine(str(base), 8), FileLine(str(top), 8))
    assert at["podman_args[1]"] == FileLine(str(base), 9)
    assert at["podman_args[3]"] == FileLine(str(top), 9)
    assert at["integration.home"] == FileLine(str(base), 11)  # base's custom home is the value
    assert at["integration.init"] == FileLine(str(top), 10)
    assert at["name"] == FileLine(str(top))
    assert "include[base]" in at
    assert unlocated(profile_to_data(p), dict(at)) == []


def test_ini_includes_point_at_each_section_line(tmp_path: Path) -> None:
    ini = write(tmp_path / "team.ini", (DATA / "ini" / "all_keys.ini").read_text())
    _, child = resolve(f"{ini}#child", (), tmp_path)
    assert child.locations["hostname"] == FileLine(str(ini), 37)  # child's own wins
    assert child.locations["image"] == FileLine(str(ini), 3)  # the last include that sets it
    assert child.locations["packages[vim]"] == FileLine(str(ini), 7)
    assert child.locations["name"] == FileLine(str(ini), 34)


def test_containerfile_values_point_at_from_and_label_lines(tmp_path: Path) -> None:
    text = "ARG V=41\nFROM fedora:$V AS base\nLABEL version=2\nFROM base\nLABEL summary=box\n"
    path = write(tmp_path / "box.Containerfile", text)
    _, p = resolve(str(path), (), tmp_path)
    assert p.locations["image"] == FileLine(str(path), 2)
    assert p.locations["version"] == FileLine(str(path), 3)
    assert p.locations["description"] == FileLine(str(path), 5)
    assert p.locations["build.containerfile"] == FileLine(str(path))


def test_values_as_text() -> None:
    assert value_text("vim") == "vim"
    assert value_text(True) == "true"
    assert value_text({"sh": "a\nb"}) == '{"sh": "a\\nb"}'
    assert value_text(" padded") == '" padded"'
