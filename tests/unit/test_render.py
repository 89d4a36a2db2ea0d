"""Rendering: deterministic Containerfiles (golden), layer order, content hashes, specs."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from envman.errors import ProfileSchemaError
from envman.host.facts import HostFacts
from envman.profile.model import FileLine, Hook, Integration, Profile
from envman.profile.yaml_format import read_yaml_profile
from envman.render.container import container_spec, parse_podman_args, spec_hash
from envman.render.containerfile import HookScript, render
from tests.helpers import assert_golden

PROFILE = """\
envman: 1
name: dev
version: "1.0"
image: docker.io/library/debian:bookworm
packages: [vim, git, git]
build:
  steps: ["ENV LANG=C.UTF-8"]
hooks:
  - run: [pip3, install, "ansible-core==2.17.*", "$HOME", "a'b\\"c"]
    env: {PIP_BREAK_SYSTEM_PACKAGES: "1"}
  - sh: "echo early > /early"
    stage: before-packages
  - script: tool.sh
    args: [--with, "two words"]
  - run: [touch, /tmp/started]
    when: start
  - script: once.sh
    when: create
"""
SCRIPTS = {
    "tool.sh": HookScript("tool.sh", b"#!/bin/sh\necho tool\n"),
    "once.sh": HookScript("once.sh", b"#!/bin/sh\n"),
}


def dev() -> Profile:
    return read_yaml_profile(PROFILE, "dev.yaml", "dev")


def test_containerfile_golden() -> None:
    plan = render(dev(), "localhost/debian:bookworm", SCRIPTS)
    assert_golden("render/dev.Containerfile", plan.containerfile)
    assert sorted(plan.files) == [
        "envman/hooks/tool.sh",
        "envman/pkg-install",
        "envman/runtime/hooks/once.sh",
        "envman/runtime/start.d/01-hook",
    ]
    assert_golden(
        "render/dev.start-hook.sh", plan.files["envman/runtime/start.d/01-hook"][0].decode()
    )


def test_layer_order_base_essentials_early_hooks_packages_late_hooks_steps() -> None:
    lines = render(dev(), "img", SCRIPTS).containerfile.splitlines()
    order = [
        lines.index(next(line for line in lines if needle in line))
        for needle in (
            "FROM img",
            "--essentials",
            "echo early",
            '"git", "vim"',
            "pip3",
            'tool.sh", "--with',
            "ENV LANG",
        )
    ]
    assert order == sorted(order)


def test_hash_is_stable_and_changes_with_content() -> None:
    first = render(dev(), "img", SCRIPTS).content_hash
    assert first == render(dev(), "img", SCRIPTS).content_hash
    reordered = replace(dev(), packages=("git", "vim"))
    assert (
        render(reordered, "img", SCRIPTS).content_hash == first
    )  # order of packages does not matter
    assert render(replace(dev(), packages=("vim",)), "img", SCRIPTS).content_hash != first
    other_script = {**SCRIPTS, "tool.sh": HookScript("tool.sh", b"#!/bin/sh\necho changed\n")}
    assert render(dev(), "img", other_script).content_hash != first
    assert render(dev(), "img2", SCRIPTS).content_hash != first


def test_hook_words_never_reach_a_shell_unquoted() -> None:
    text = render(dev(), "img", SCRIPTS).containerfile
    run_line = next(line for line in text.splitlines() if "pip3" in line)
    argv = json.loads(run_line.removeprefix("RUN "))
    assert argv == [
        "env",
        "PIP_BREAK_SYSTEM_PACKAGES=1",
        "pip3",
        "install",
        "ansible-core==2.17.*",
        "$HOME",
        "a'b\"c",
    ]


def test_user_containerfile_comes_first_as_written() -> None:
    profile = replace(dev(), hooks=(), packages=("jq",), build_steps=())
    user = "FROM quay.io/x/y:1 AS base\nRUN echo mine\n"
    text = render(profile, "quay.io/x/y:1", {}, user).containerfile
    assert text.splitlines()[1:3] == ["FROM quay.io/x/y:1 AS base", "RUN echo mine"]


FACTS = HostFacts(
    user="alice",
    uid=1000,
    gid=1000,
    home="/var/home/alice",
    shell="/bin/zsh",
    hostname="laptop",
    runtime_dir="/run/user/1000",
    rootless=True,
    existing=frozenset(
        {"/tmp/.X11-unix", "/run/dbus/system_bus_socket", "/etc/krb5.conf", "/media", "/dev/mqueue"}
    ),
)


def spec_json(profile: Profile, facts: HostFacts = FACTS) -> str:
    spec = container_spec(
        profile,
        facts,
        name=profile.name,
        image="localhost/envman/dev:abc",
        labels={"envman.profile": profile.name},
    )
    data = asdict(spec)
    data["entrypoint"] = [*data["entrypoint"][:2], "<entrypoint.sh>", *data["entrypoint"][3:]]
    return json.dumps(data, indent=2) + "\n"


def test_container_spec_rootless_desktop_golden() -> None:
    profile = replace(dev(), integration=Integration().with_defaults(), env=(("EDITOR", "vim"),))
    assert_golden("render/spec-rootless.json", spec_json(profile))


def test_container_spec_rootful_custom_home_unshared_golden() -> None:
    integration = Integration(
        custom_home="~/boxes/dev",
        audio=False,
        display=False,
        dbus=False,
        ssh_agent=False,
        gpg_agent=False,
        unshare=("ipc", "netns"),
    ).with_defaults()
    profile = replace(
        dev(),
        integration=integration,
        volumes=("~/src:/src:ro", "cache:/var/cache/x"),
        podman_args=("--cap-add", "SYS_PTRACE", "--env=A=1"),
    )
    root = replace(FACTS, user="root", uid=0, gid=0, home="/root", rootless=False, runtime_dir=None)
    assert_golden("render/spec-rootful.json", spec_json(profile, root))


def test_spec_hash_ignores_its_own_label_but_nothing_else() -> None:
    profile = replace(dev(), integration=Integration().with_defaults())
    spec = container_spec(profile, FACTS, name="dev", image="i", labels={})
    assert spec_hash(spec) == dict(spec.labels)["envman.spec"]
    changed = container_spec(
        replace(profile, env=(("X", "1"),)), FACTS, name="dev", image="i", labels={}
    )
    assert spec_hash(changed) != spec_hash(spec)


@pytest.mark.parametrize("args", [("--privileged",), ("--env",), ("-v=/a:/b",), ("--env", "1X=2")])
def test_unknown_or_malformed_podman_args_are_refused(args: tuple[str, ...]) -> None:
    with pytest.raises(ProfileSchemaError):
        parse_podman_args(args, "x.ini:3")


def test_init_profile_runs_systemd_with_private_pid() -> None:
    profile = replace(dev(), integration=Integration(init=True).with_defaults())
    spec = container_spec(profile, FACTS, name="dev", image="i", labels={})
    assert spec.entrypoint == ("/sbin/init",) and spec.systemd and not spec.host_pid
    assert not any(m.target == "/run/user/1000" for m in spec.mounts)
    # systemd empties /tmp when it boots: the host's /tmp must never be that /tmp.
    assert not any(m.source == "/tmp" for m in spec.mounts)
    assert any(m.source == "/tmp/.X11-unix" for m in spec.mounts)


def test_hook_origin_is_kept_for_messages() -> None:
    hook = dev().hooks[0]
    assert isinstance(hook, Hook) and hook.origin == FileLine("dev.yaml", 9)


def test_host_certificates_are_trusted_first_unless_switched_off() -> None:
    cas = {"corp-proxy.crt": b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}
    plan = render(dev(), "img", SCRIPTS, None, cas)
    lines = plan.containerfile.splitlines()
    assert lines[5:8] == [
        "COPY envman/host-ca/ /usr/lib/envman/host-ca/",
        "COPY envman/trust-host-cas /usr/lib/envman/trust-host-cas",
        'RUN ["/bin/sh", "/usr/lib/envman/trust-host-cas"]',
    ]
    assert plan.files["envman/host-ca/corp-proxy.crt"][0] == cas["corp-proxy.crt"]
    assert plan.content_hash != render(dev(), "img", SCRIPTS).content_hash
    off = replace(dev(), integration=Integration(host_certificates=False))
    assert "host-ca" not in render(off, "img", SCRIPTS, None, cas).containerfile


def test_host_ca_certificates_reads_only_regular_pem_files(tmp_path: Path) -> None:
    from envman.host.certs import host_ca_certificates

    anchors = tmp_path / "anchors"
    (anchors / "sub").mkdir(parents=True)
    pem = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    (anchors / "a.crt").write_bytes(pem)
    (anchors / "sub" / "b.pem").write_bytes(pem)
    (anchors / "notes.txt").write_bytes(pem)
    (anchors / "empty.crt").write_bytes(b"not a certificate")
    (anchors / "link.crt").symlink_to(anchors / "a.crt")
    assert sorted(host_ca_certificates((str(anchors), str(tmp_path / "missing")))) == [
        "a.crt",
        "sub-b.crt",
    ]


def test_init_profiles_get_systemd_and_a_unit_for_start_hooks() -> None:
    profile = replace(dev(), integration=Integration(init=True).with_defaults())
    plan = render(profile, "img", SCRIPTS)
    assert '"--essentials", "--init"]' in plan.containerfile
    assert (
        "COPY envman/envman-start.service /etc/systemd/system/envman-start.service"
        in plan.containerfile
    )
    assert "envman/envman-start.service" in plan.files


def test_image_labels_are_the_last_step_and_carry_the_content_hash() -> None:
    from envman.profile.containerfile.stages import end_scope, parse_containerfile

    plan = render(replace(dev(), version='1.0 "$HOME" \\ x'), "img", SCRIPTS)
    parsed = parse_containerfile(plan.containerfile, "Containerfile")
    assert parsed.instructions[-1].keyword == "LABEL"
    assert end_scope(parsed).labels == {
        "com.github.containers.toolbox": "true",
        "envman.base": "img",
        "envman.hash": plan.content_hash,
        "envman.managed": "1",
        "envman.profile": "dev",
        "envman.version": '1.0 "$HOME" \\ x',
    }
    assert render(replace(dev(), version="2.0"), "img", SCRIPTS).content_hash != plan.content_hash


def test_the_build_does_not_depend_on_where_the_profile_lives() -> None:
    here = read_yaml_profile(PROFILE, "/home/alice/src/team/profiles/dev.yaml", "dev")
    there = read_yaml_profile(PROFILE, "/var/home/bob/checkouts/x/dev.yaml", "dev")
    first, second = render(here, "img", SCRIPTS), render(there, "img", SCRIPTS)
    assert first.content_hash == second.content_hash
    assert (first.containerfile, first.files) == (second.containerfile, second.files)
    assert b"alice" not in b"".join(data for data, _ in first.files.values())
