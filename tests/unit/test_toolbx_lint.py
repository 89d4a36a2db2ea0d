"""toolbx lint: static Containerfile findings, image config, the in-image script and its parser."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from envman.errors import ProfileSchemaError
from envman.profile.containerfile_format import parse_instructions
from envman.profile.toolbx_lint import (
    IMAGE_LINT_SCRIPT,
    REQUIREMENTS,
    Finding,
    image_lint_command,
    lint_containerfile,
    lint_image_config,
    parse_image_lint,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "containerfile"


def lint(text: str) -> list[Finding]:
    return lint_containerfile(parse_instructions(text, "Containerfile"), "Containerfile")


def summary(findings: list[Finding]) -> list[tuple[str, str, str | None]]:
    return [(f.level, f.id, f.origin) for f in findings]


def ids(findings: list[Finding], level: str | None = None) -> set[str]:
    return {f.id for f in findings if level is None or f.level == level}


LABELLED = 'FROM quay.io/toolbx/ubuntu-toolbox:24.04\nLABEL com.github.containers.toolbox="true"\n'


# --- static lint -----------------------------------------------------------------------------


def test_static_lint_of_a_bad_toolbx_containerfile() -> None:
    path = DATA / "bad-toolbx.Containerfile"
    file = str(path)
    findings = lint_containerfile(parse_instructions(path.read_text(encoding="utf-8"), file), file)
    assert summary(findings) == [
        ("must", "home-not-empty", f"{file}:4"),
        ("must", "home-not-empty", f"{file}:5"),
        ("must", "volume-home", f"{file}:6"),
        ("must", "user-not-root", f"{file}:8"),
        ("must", "entrypoint-set", f"{file}:9"),
        ("should", "home-user-created", f"{file}:3"),
        ("should", "volume", f"{file}:6"),
        ("info", "toolbox-label", f"{file}:1"),
        ("info", "base-not-pinned", f"{file}:1"),
        ("info", "base-not-toolbx", f"{file}:1"),
        ("info", "maintainer", f"{file}:2"),
        ("info", "expose", f"{file}:7"),
    ]
    assert all(f.message for f in findings)


def test_static_lint_of_a_good_toolbx_containerfile() -> None:
    path = DATA / "good-toolbx.Containerfile"
    assert lint_containerfile(parse_instructions(path.read_text(encoding="utf-8"), "f"), "f") == []


@pytest.mark.parametrize(
    ("tail", "must"),
    [
        ('ENTRYPOINT ["/bin/sh"]\n', True),
        ("ENTRYPOINT /bin/sh\n", True),
        ('ENTRYPOINT ["/bin/sh"]\nENTRYPOINT []\n', False),
        ('ENTRYPOINT ["/bin/sh"]\nENTRYPOINT [""]\n', False),  # podman treats [""] as none
        ('ENTRYPOINT ""\n', True),
    ],
)
def test_entrypoint(tail: str, must: bool) -> None:
    assert ("entrypoint-set" in ids(lint(LABELLED + tail), "must")) is must


def test_entrypoint_inherited_through_stages_but_not_from_others() -> None:
    inherited = 'FROM a:1 AS base\nENTRYPOINT ["/e"]\nFROM base\nLABEL x=y\n'
    other = 'FROM a:1 AS build\nENTRYPOINT ["/e"]\nFROM b:1\nRUN true\n'
    assert summary([f for f in lint(inherited) if f.level == "must"]) == [
        ("must", "entrypoint-set", "Containerfile:2")
    ]
    assert ids(lint(other), "must") == set()


@pytest.mark.parametrize(
    ("user", "must"),
    [
        ("root", False),
        ("0", False),
        ("root:wheel", False),
        ("0:0", False),
        ("1000", True),
        ("dev:dev", True),
        ("$U", False),
        ("${NOBODY}", True),
    ],
)
def test_final_user(user: str, must: bool) -> None:
    findings = lint(LABELLED + f"ARG U=root\nUSER {user}\n")
    assert ("user-not-root" in ids(findings, "must")) is must


def test_user_reset_to_root_later_is_fine() -> None:
    assert ids(lint(LABELLED + "USER dev\nRUN true\nUSER root\n"), "must") == set()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("VOLUME /home", {("must", "volume-home")}),
        ('VOLUME ["/home/dev/"]', {("must", "volume-home")}),
        ("VOLUME /", {("must", "volume-home")}),
        ("VOLUME /data /home2", {("should", "volume")}),
        ("WORKDIR /home", set()),
        ("WORKDIR /home/dev", {("must", "home-not-empty")}),
        ("COPY a /home/", {("must", "home-not-empty")}),
        ("COPY a /home", {("must", "home-not-empty")}),
        ("COPY a /homestead/", set()),
        ("WORKDIR /home\nCOPY a dev/", {("must", "home-not-empty")}),
        ("COPY --from=build /x /home/x", {("must", "home-not-empty")}),
        ("RUN useradd -m dev", {("should", "home-user-created")}),
        ("RUN useradd dev", {("should", "home-user-created")}),
        ("RUN useradd -r svc && useradd --no-create-home x", set()),
        ("RUN adduser --disabled-password dev", {("should", "home-user-created")}),
        ("RUN adduser -D -H svc", set()),
        (
            "RUN <<EOF\nuseradd --create-home dev\nEOF",
            {("should", "home-user-created"), ("should", "heredoc")},
        ),
        ("EXPOSE 80", {("info", "expose")}),
        ("MAINTAINER me", {("info", "maintainer")}),
    ],
)
def test_home_volume_and_misc(line: str, expected: set[tuple[str, str]]) -> None:
    assert {(f.level, f.id) for f in lint(LABELLED + line + "\n")} == expected


def test_toolbox_label_and_base_image_notes() -> None:
    assert ids(lint("FROM quay.io/toolbx/arch-toolbox:latest\n")) == {
        "toolbox-label",
        "base-not-pinned",
    }
    legacy = (
        "FROM registry.fedoraproject.org/fedora-toolbox:41\n"
        "LABEL com.github.debarshiray.toolbox=true\n"
    )
    assert lint(legacy) == []
    digest = "localhost:5000/fedora-toolbox@sha256:" + "0" * 64
    assert ids(lint(f"FROM {digest}\n")) == {"toolbox-label"}
    assert ids(lint("FROM localhost:5000/debian\n")) == {
        "toolbox-label",
        "base-not-pinned",
        "base-not-toolbx",
    }
    assert ids(lint("FROM scratch\n")) == {"toolbox-label"}


def test_labels_inherited_from_a_parent_stage() -> None:
    text = (
        "FROM quay.io/toolbx/ubuntu-toolbox:24.04 AS b\n"
        "LABEL com.github.containers.toolbox=true\nFROM b\n"
    )
    assert lint(text) == []


# --- image config ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entrypoint", "user", "labels", "expected"),
    [
        (None, "", {"com.github.containers.toolbox": "true"}, []),
        ([], None, {"com.github.debarshiray.toolbox": "true"}, []),
        ([""], "root", {"com.github.containers.toolbox": "true"}, []),
        (["/bin/sh", "-c"], "0:0", {}, [("must", "entrypoint-set"), ("info", "toolbox-label")]),
        (
            None,
            "1000:1000",
            {"com.github.containers.toolbox": "false"},
            [("must", "user-not-root"), ("info", "toolbox-label")],
        ),
    ],
)
def test_lint_image_config(
    entrypoint: list[str] | None,
    user: str | None,
    labels: dict[str, str],
    expected: list[tuple[str, str]],
) -> None:
    assert [(f.level, f.id) for f in lint_image_config(entrypoint, user, labels)] == expected


def test_image_lint_command() -> None:
    argv = image_lint_command("localhost/envman-dev:1")
    assert argv[:2] == ["podman", "run"] and "--no-hosts" in argv and "--rm" in argv
    assert argv[-3:] == ["localhost/envman-dev:1", "-c", IMAGE_LINT_SCRIPT]
    with pytest.raises(ProfileSchemaError):
        image_lint_command("--privileged")


# --- parsing the script's output ---------------------------------------------------------------


def output(fails: dict[str, str], os_release: str = "ID=debian ID_LIKE= VERSION_ID=12") -> str:
    lines = []
    for key in REQUIREMENTS:
        detail = os_release if key == "os-release" else fails.get(key, "fine")
        status = "fail" if key in fails and key != "os-release" else "ok"
        lines.append(f"{status}\t{key}\t{detail}")
    return "\n".join(lines) + "\n"


def test_parse_all_ok() -> None:
    assert parse_image_lint(output({})) == []


def test_parse_levels_order_and_debian_fixes() -> None:
    findings = parse_image_lint(output({"vte-sh": "missing", "cmd-capsh": "not found"}))
    assert [(f.level, f.id, f.origin) for f in findings] == [
        ("must", "cmd-capsh", None),
        ("should", "vte-sh", None),
    ]
    assert "not found" in findings[0].message
    assert "apt-get install -y libcap2-bin" in findings[0].message


@pytest.mark.parametrize(
    ("os_release", "fix"),
    [
        ("ID=fedora ID_LIKE= VERSION_ID=41", "dnf install -y libcap"),
        ("ID=rocky ID_LIKE=rhel centos fedora VERSION_ID=9", "dnf install -y libcap"),
        ("ID=ubuntu ID_LIKE=debian VERSION_ID=24.04", "apt-get install -y libcap2-bin"),
        ("ID=arch ID_LIKE= VERSION_ID=", "pacman -S --noconfirm libcap"),
    ],
)
def test_parse_fix_per_family(os_release: str, fix: str) -> None:
    (finding,) = parse_image_lint(output({"cmd-capsh": "x"}, os_release))
    assert fix in finding.message


def test_parse_unknown_family_gets_generic_or_no_fix() -> None:
    findings = parse_image_lint(
        output({"cmd-capsh": "x", "krb5-conf-d": "missing"}, "ID=gentoo ID_LIKE= VERSION_ID=")
    )
    assert "fix:" not in findings[0].message
    assert "mkdir -p /etc/krb5.conf.d" in findings[1].message


def test_parse_unwritable_directory_is_a_must() -> None:
    detail = "/etc/krb5.conf.d is not writable by root"
    (finding,) = parse_image_lint(output({"krb5-conf-d": detail}))
    assert finding.level == "must"


def test_parse_empty_incomplete_and_stray_output() -> None:
    assert summary(parse_image_lint("")) == [("must", "lint-no-output", None)]
    partial = "ok\tcmd-capsh\t/usr/sbin/capsh\n"
    (incomplete,) = parse_image_lint(partial)
    assert incomplete.id == "lint-incomplete" and "cmd-sudo" in incomplete.message
    noisy = output({}) + "sh: 1: oops\nfail\tnew-check\t\x1b[31mred\n"
    findings = parse_image_lint(noisy)
    assert [(f.level, f.id) for f in findings] == [("should", "new-check"), ("info", "lint-output")]
    assert "\x1b" not in findings[0].message


# --- the script itself -----------------------------------------------------------------------


def script_ids(out: str) -> list[str]:
    return [line.split("\t")[1] for line in out.splitlines()]


def test_script_passes_shellcheck(tmp_path: Path) -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed")
    script = tmp_path / "lint.sh"
    script.write_text(IMAGE_LINT_SCRIPT, encoding="utf-8")
    result = subprocess.run(
        ["shellcheck", "-s", "sh", str(script)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("shell", [["dash"], ["busybox", "sh"]])
def test_script_reports_every_requirement_once(shell: list[str]) -> None:
    if shutil.which(shell[0]) is None:
        pytest.skip(f"{shell[0]} is not installed")
    result = subprocess.run(
        [*shell, "-c", IMAGE_LINT_SCRIPT], capture_output=True, text=True, check=True
    )
    assert result.stderr == ""
    assert sorted(script_ids(result.stdout)) == sorted(REQUIREMENTS)
    assert all(
        line.split("\t")[0] in ("ok", "fail") and line.count("\t") == 2
        for line in result.stdout.splitlines()
    )


BUSYBOX = shutil.which("busybox")
TOOLBX_COMMANDS = (
    "capsh",
    "mount",
    "passwd",
    "test",
    "useradd",
    "usermod",
    "ldconfig",
    "sudo",
    "flatpak-spawn",
)


def fake_root(
    root: Path,
    files: dict[str, str],
    links: dict[str, str],
    commands: tuple[str, ...],
    dirs: tuple[str, ...],
) -> Path:
    """A tiny busybox tree to chroot into: only what the test names exists."""
    assert BUSYBOX is not None
    (root / "bin").mkdir(parents=True)
    shutil.copy(BUSYBOX, root / "bin" / "busybox")
    for applet in ("sh", "readlink", "ls"):
        (root / "bin" / applet).symlink_to("busybox")
    (root / "usr" / "bin").mkdir(parents=True)
    for command in commands:
        (root / "usr" / "bin" / command).symlink_to("/bin/busybox")
    for rel in dirs:
        (root / rel).mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content, encoding="utf-8")
    for rel, target in links.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).symlink_to(target)
    return root


def run_chrooted(root: Path) -> str:
    chroot = shutil.which("chroot")
    if os.geteuid() != 0 or chroot is None:
        pytest.skip("needs root and chroot(8)")
    probe = subprocess.run(
        [chroot, str(root), "/bin/busybox", "true"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip("busybox is not static here")
    result = subprocess.run(
        [chroot, str(root), "/bin/sh", "-c", IMAGE_LINT_SCRIPT],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.stderr == ""
    return result.stdout


def test_script_in_a_tree_that_meets_every_requirement(tmp_path: Path) -> None:
    if BUSYBOX is None:
        pytest.skip("busybox is not installed")
    root = fake_root(
        tmp_path / "root",
        files={
            "etc/sudoers": "Defaults env_reset\n# %sudo ALL=(ALL) ALL\n@includedir /etc/sudoers.d",
            "etc/sudoers.d/toolbox": "\t%wheel\tALL=(ALL)\tNOPASSWD: ALL",  # no final newline
            "etc/group": "root:x:0:\nwheel:x:10:\n",
            "etc/nsswitch.conf": "hosts:  files myhostname resolve [!UNAVAIL=return] dns\n",
            "usr/lib64/libnss_myhostname.so.2": "",
            "usr/lib64/pkcs11/p11-kit-client.so": "",
            "etc/profile.d/vte.sh": "",
            "etc/os-release": 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=41\n',
            "etc/ld.so.cache": "",
            "usr/share/zoneinfo/Europe/Berlin": "",
            "etc/hosts": "127.0.0.1 localhost\n",
            "etc/timezone": "Europe/Berlin\n",
        },
        links={"etc/localtime": "../usr/share/zoneinfo/Europe/Berlin"},
        commands=TOOLBX_COMMANDS,
        dirs=(
            "home",
            "etc/krb5.conf.d",
            "etc/pkcs11/modules",
            "usr/share/empty",
            "etc/ld.so.conf.d",
            "usr/lib/rpm/macros.d",
            "proc",
        ),
    )
    out = run_chrooted(root)
    assert [line for line in out.splitlines() if not line.startswith("ok\t")] == []
    assert sorted(script_ids(out)) == sorted(REQUIREMENTS)
    assert parse_image_lint(out) == []


def test_script_in_a_tree_that_fails_everything(tmp_path: Path) -> None:
    if BUSYBOX is None:
        pytest.skip("busybox is not installed")
    root = fake_root(
        tmp_path / "root",
        files={
            "etc/sudoers": "%sudo ALL=(ALL:ALL) ALL\n",
            "etc/sudoers.d/README.md": "%wheel ALL=(ALL) ALL\n",  # sudo skips names with a dot
            "etc/group": "root:x:0:\nwheel:x:10:\n",
            "etc/nsswitch.conf": "hosts: files dns myhostname\n",
            "lib/x86_64-linux-gnu/libnss_myhostname.so.2": "",
            "usr/lib/os-release": 'ID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n',
            "home/ubuntu/.bashrc": "",
            "etc/localtime": "not a link",
            "usr/share/empty/file": "",
            "run/resolv.conf": "",
            "usr/libexec/flatpak-xdg-utils/flatpak-spawn": "",
        },
        links={
            "etc/hosts": "/run/hosts",
            "etc/resolv.conf": "../run/resolv.conf",
            "etc/host.conf": "/nowhere",
        },
        commands=("mount", "passwd"),
        dirs=("etc/machine-id", "etc/timezone", "usr/lib/rpm"),
    )
    os.chmod(root / "usr/libexec/flatpak-xdg-utils/flatpak-spawn", 0o755)
    out = run_chrooted(root)
    status = {line.split("\t")[1]: line.split("\t")[0] for line in out.splitlines()}
    assert sorted(key for key, value in status.items() if value == "ok") == [
        "cmd-mount",
        "cmd-passwd",
        "sudoers-group-rule",
    ]
    findings = {f.id: f for f in parse_image_lint(out)}
    assert ids(list(findings.values()), "must") == {
        "cmd-capsh",
        "cmd-test",
        "cmd-useradd",
        "cmd-usermod",
        "cmd-ldconfig",
        "cmd-sudo",
        "sudoers-group-exists",
        "home-empty",
        "etc-host-conf",
        "etc-hosts",
        "etc-resolv-conf",
        "etc-localtime",
        "etc-timezone",
        "etc-machine-id",
    }
    assert "ubuntu" in findings["home-empty"].message
    assert "after dns" in findings["nss-myhostname"].message
    assert "not on PATH" in findings["flatpak-spawn"].message
    assert "only /usr/lib/os-release" in findings["os-release"].message
    # the family comes from /usr/lib/os-release: Debian fixes
    assert "apt-get install -y libcap2-bin" in findings["cmd-capsh"].message
    assert "sudo sudo" not in findings["sudoers-group-exists"].message
