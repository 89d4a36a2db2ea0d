"""envman's YAML format: strict reading with file:line errors, and a deterministic writer."""

from __future__ import annotations

import pytest

from envman.errors import ExitCode, ProfileSchemaError, ProfileSyntaxError
from envman.profile.model import Hook
from envman.profile.yaml_format import read_yaml_profile, write_yaml_profile

FULL = """\
envman: 1
name: web
version: "2.1"
description: A web box
image: docker.io/library/debian:bookworm
include: [base]
packages: [git, curl]
build:
  steps:
    - RUN echo hi
env:
  EDITOR: vim
  PORT: 8080
volumes: ["~/src:/src:ro"]
hooks:
  - run: [pip3, install, "ansible-core==2.17.*"]
    env: {PIP_BREAK_SYSTEM_PACKAGES: "1"}
  - sh: "touch /x"
    stage: before-packages
  - script: setup.sh
    args: [--fast]
    when: create
    user: user
  - run: [make, prepare]
    when: host
exports:
  apps: [org.gnome.gedit]
  bins: [/usr/bin/htop]
  bins_path: ~/.local/bin
integration:
  home: ~/boxes/web
  audio: false
  unshare: [ipc]
hostname: webbox
podman_args: [--cap-add, SYS_PTRACE]
distrobox: {entry: false, pull: true}
"""


def read(text: str) -> object:
    return read_yaml_profile(text, "web.yaml", "web")


def test_reads_every_key() -> None:
    p = read_yaml_profile(FULL, "web.yaml", "web")
    assert p.name == "web" and p.version == "2.1" and p.includes == ("base",)
    assert p.packages == ("git", "curl")
    assert p.build_steps == ("RUN echo hi",)
    assert p.env == (("EDITOR", "vim"), ("PORT", "8080"))
    assert p.hooks[0] == Hook(
        run=("pip3", "install", "ansible-core==2.17.*"), env=(("PIP_BREAK_SYSTEM_PACKAGES", "1"),)
    )
    assert p.hooks[1].stage == "before-packages" and p.hooks[1].sh == "touch /x"
    assert (
        p.hooks[2].when == "create"
        and p.hooks[2].user == "user"
        and p.hooks[2].script == "setup.sh"
    )
    assert p.hooks[3].when == "host"
    assert p.hooks[0].origin is not None and p.hooks[0].origin.line == 16
    assert p.exports.bins_path == "~/.local/bin"
    assert p.integration.custom_home == "~/boxes/web" and p.integration.home is True
    assert p.integration.audio is False and p.integration.display is None
    assert p.podman_args == ("--cap-add", "SYS_PTRACE")
    assert p.distrobox.pull is True and p.distrobox.entry is False


def test_write_then_read_is_identity() -> None:
    p = read_yaml_profile(FULL, "web.yaml", "web")
    again = read_yaml_profile(write_yaml_profile(p), "web.yaml", "web")
    assert again == p


def test_writer_is_deterministic() -> None:
    p = read_yaml_profile(FULL, "web.yaml", "web")
    assert write_yaml_profile(p) == write_yaml_profile(p)


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("envman: 1\npackges: [git]\n", "web.yaml:2", "did you mean 'packages'"),
        ("envman: 1\npackages: git\n", "web.yaml:2", "must be a list"),
        (
            "envman: 1\npackages: [git, 3.5, '-o evil']\n",
            "web.yaml:2",
            "'-o evil' is not a package name",
        ),
        ("envman: 1\nintegration:\n  audio: yes please\n", "web.yaml:3", "must be true or false"),
        ("envman: 1\nenv:\n  1BAD: x\n", "web.yaml:3", "not a valid environment variable name"),
        ("envman: 1\nhooks:\n  - run: [a]\n    sh: b\n", "web.yaml:3", "exactly one of run"),
        ("envman: 1\nhooks:\n  - run: [a]\n    when: always\n", "web.yaml:4", "not one of build"),
        ("envman: 1\nhooks:\n  - script: ../../etc/passwd\n", "web.yaml:3", "relative path inside"),
        ("envman: 1\nvolumes: ['/a:relative']\n", "web.yaml:2", "must be an absolute path"),
        ("envman: 1\nbuild:\n  steps: ['FROM evil']\n", "web.yaml:3", "not an allowed build step"),
        ("envman: 1\nimage: 'bad image'\n", "web.yaml:2", "not an image reference"),
        ("envman: 1\nname: ../x\n", "web.yaml:2", "not a valid name"),
        ("name: web\n", "web.yaml:1", "missing schema version"),
        ("envman: 2\n", "web.yaml:1", "newer than this envman"),
        (
            "envman: 1\nhooks:\n  - run: [a]\n    stage: before-packages\n    when: create\n",
            "web.yaml:4",
            "stage applies only",
        ),
    ],
)
def test_schema_errors_name_file_line_and_key(text: str, where: str, words: str) -> None:
    with pytest.raises(ProfileSchemaError) as info:
        read(text)
    assert info.value.message.startswith(where), info.value.message
    assert words in info.value.message + str(info.value.hint)
    assert info.value.exit_code == ExitCode.PROFILE_SCHEMA


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("envman: 1\npackages: [git\n", "web.yaml:3"),
        ("envman: 1\nname: a\nname: b\n", "web.yaml:3"),
        ("envman: 1\n  bad indent: x\n", "web.yaml:2"),
        ("envman: 1\nbase: &b {a: 1}\nother:\n  <<: *b\n", "web.yaml:4"),
    ],
)
def test_syntax_errors_name_file_and_line(text: str, where: str) -> None:
    with pytest.raises(ProfileSyntaxError) as info:
        read(text)
    assert info.value.message.startswith(where), info.value.message
    assert info.value.exit_code == ExitCode.PROFILE_SYNTAX


def test_unsafe_yaml_tags_are_refused() -> None:
    with pytest.raises(ProfileSyntaxError):
        read("envman: 1\nname: !!python/object/apply:os.system ['id']\n")


def test_name_defaults_to_file_stem() -> None:
    assert read_yaml_profile("envman: 1\n", "x/base.yaml", "base").name == "base"
