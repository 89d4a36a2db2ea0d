"""toolbx's image requirements: one row per check of the image script, with fixes per distro."""

from __future__ import annotations

from dataclasses import dataclass

from envman.profile.toolbx.findings import Level


@dataclass(frozen=True)
class Requirement:
    """One toolbx image requirement: its id in the script's output, level, wording, fixes."""

    id: str
    level: Level
    text: str
    fixes: tuple[tuple[str, str], ...] = ()

    def fix(self, family: str | None) -> str | None:
        """The fix for a distro family ('*' applies to all), or None."""
        table = dict(self.fixes)
        return table.get(family or "", table.get("*"))


_INSTALL = {
    "debian": "apt-get install -y {}",
    "fedora": "dnf install -y {}",
    "arch": "pacman -S --noconfirm {}",
    "alpine": "apk add {}",
}


def _packages(**by_family: str) -> tuple[tuple[str, str], ...]:
    return tuple((family, _INSTALL[family].format(names)) for family, names in by_family.items())


_MYHOSTNAME_FIRST = "put myhostname right after files on the hosts: line of /etc/nsswitch.conf"
_REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement(
        "cmd-capsh",
        "must",
        "toolbx runs every command through capsh(1)",
        _packages(debian="libcap2-bin", fedora="libcap", arch="libcap"),
    ),
    Requirement(
        "cmd-mount",
        "must",
        "toolbx's entry point needs mount(8)",
        _packages(debian="mount", fedora="util-linux", arch="util-linux"),
    ),
    Requirement(
        "cmd-passwd",
        "must",
        "toolbx's entry point needs passwd(1)",
        _packages(debian="passwd", fedora="passwd", arch="shadow", alpine="shadow"),
    ),
    Requirement(
        "cmd-test",
        "must",
        "toolbx needs a test(1) executable, not just the builtin",
        _packages(debian="coreutils", fedora="coreutils", arch="coreutils", alpine="coreutils"),
    ),
    Requirement(
        "cmd-useradd",
        "must",
        "toolbx's entry point creates your user with useradd(8)",
        _packages(debian="passwd", fedora="shadow-utils", arch="shadow", alpine="shadow"),
    ),
    Requirement(
        "cmd-usermod",
        "must",
        "toolbx's entry point needs usermod(8)",
        _packages(debian="passwd", fedora="shadow-utils", arch="shadow", alpine="shadow"),
    ),
    Requirement(
        "cmd-ldconfig",
        "must",
        "ldconfig(8) is needed on hosts with the NVIDIA driver",
        _packages(debian="libc-bin", fedora="glibc", arch="glibc"),
    ),
    Requirement(
        "cmd-sudo",
        "must",
        "toolbx users get root through sudo(8)",
        _packages(debian="sudo", fedora="sudo", arch="sudo", alpine="sudo"),
    ),
    Requirement(
        "sudoers-group-rule",
        "must",
        "sudo must be enabled for the sudo or wheel group",
        (
            ("debian", "apt-get install -y sudo (Debian's /etc/sudoers enables %sudo)"),
            ("fedora", "dnf install -y sudo (Fedora's /etc/sudoers enables %wheel)"),
            ("*", "echo '%wheel ALL=(ALL) ALL' > /etc/sudoers.d/toolbox"),
        ),
    ),
    Requirement(
        "sudoers-group-exists",
        "must",
        "the group sudo is enabled for must exist",
        (("*", "groupadd --system wheel (or sudo, whichever sudoers names)"),),
    ),
    Requirement(
        "home-empty",
        "must",
        "/home must be an empty directory (Silverblue links it)",
        (("*", "remove what is in /home, e.g. userdel --remove ubuntu"),),
    ),
    Requirement(
        "etc-host-conf",
        "must",
        "/etc/host.conf must be absent or a regular file",
        (("*", "replace it with a regular file or remove it"),),
    ),
    Requirement(
        "etc-hosts",
        "must",
        "/etc/hosts must be absent or a regular file",
        (("*", "replace it with a regular file or remove it"),),
    ),
    Requirement(
        "etc-resolv-conf",
        "must",
        "/etc/resolv.conf must be absent or a regular file",
        (("*", "replace it with a regular file or remove it"),),
    ),
    Requirement(
        "etc-localtime",
        "must",
        "/etc/localtime must be absent or a link into /usr/share/zoneinfo",
        (
            ("debian", "apt-get install -y tzdata"),
            ("*", "ln -sf ../usr/share/zoneinfo/UTC /etc/localtime"),
        ),
    ),
    Requirement(
        "etc-timezone",
        "must",
        "/etc/timezone must be absent or a regular file",
        (("*", "replace it with a regular file or remove it"),),
    ),
    Requirement(
        "etc-machine-id",
        "must",
        "/etc/machine-id must be absent or a regular file",
        (("*", "remove it: toolbx mounts the host's"),),
    ),
    Requirement(
        "sudo-empty-password",
        "should",
        "sudo should work with an empty password",
        (("*", "echo '%wheel ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/toolbox"),),
    ),
    Requirement(
        "nss-myhostname",
        "should",
        "nss-myhostname should be installed and early on the hosts: line",
        (
            ("debian", f"apt-get install -y libnss-myhostname; {_MYHOSTNAME_FIRST}"),
            ("fedora", f"dnf install -y nss-myhostname; {_MYHOSTNAME_FIRST}"),
            ("*", f"install nss-myhostname; {_MYHOSTNAME_FIRST}"),
        ),
    ),
    Requirement(
        "krb5-conf-d",
        "should",
        "/etc/krb5.conf.d should exist (for the KCM cache)",
        (("*", "mkdir -p /etc/krb5.conf.d"),),
    ),
    Requirement(
        "pkcs11-modules",
        "should",
        "/etc/pkcs11/modules should exist",
        (("*", "mkdir -p /etc/pkcs11/modules"),),
    ),
    Requirement(
        "p11-kit-client",
        "should",
        "p11-kit-client.so shares the host's CA certificates",
        _packages(debian="p11-kit-modules", fedora="p11-kit-server", arch="p11-kit"),
    ),
    Requirement(
        "rpm-macros-d",
        "should",
        "RPM images should have /usr/lib/rpm/macros.d",
        (("*", "mkdir -p /usr/lib/rpm/macros.d"),),
    ),
    Requirement(
        "vte-sh",
        "should",
        "VTE's /etc/profile.d/vte.sh keeps the terminal's directory",
        _packages(debian="libvte-2.91-common", fedora="vte-profile", arch="vte-common"),
    ),
    Requirement(
        "flatpak-spawn",
        "should",
        "flatpak-spawn(1) lets toolbox run from inside",
        (
            (
                "debian",
                "apt-get install -y flatpak-xdg-utils && "
                "ln -s /usr/libexec/flatpak-xdg-utils/flatpak-spawn /usr/bin/",
            ),
            ("fedora", "dnf install -y flatpak-spawn"),
            ("arch", "pacman -S --noconfirm flatpak-xdg-utils"),
        ),
    ),
    Requirement(
        "usr-share-empty",
        "should",
        "an empty /usr/share/empty hides SELinux inside",
        (("*", "mkdir -p /usr/share/empty"),),
    ),
    Requirement(
        "os-release",
        "should",
        "/etc/os-release tells tools which distro this is",
        (("*", "ship /etc/os-release (a link to ../usr/lib/os-release is fine)"),),
    ),
    Requirement(
        "ld-so-cache",
        "should",
        "the dynamic linker cache should be built",
        (("*", "run ldconfig at the end of the build"),),
    ),
    Requirement(
        "ld-so-conf-d",
        "should",
        "/etc/ld.so.conf.d should exist (NVIDIA support)",
        (("*", "mkdir -p /etc/ld.so.conf.d"),),
    ),
)
REQUIREMENTS: dict[str, Requirement] = {r.id: r for r in _REQUIREMENTS}
# A directory toolbx writes into MUST be writable when it exists; absent is only a SHOULD.
WRITABLE_DIRS = frozenset({"krb5-conf-d", "pkcs11-modules", "rpm-macros-d", "ld-so-conf-d"})
# Which fixes apply: an image's os-release ID and ID_LIKE name its family.
FAMILIES = (
    ("debian", ("debian", "ubuntu")),
    ("fedora", ("fedora", "rhel", "centos", "rocky", "almalinux")),
    ("arch", ("arch", "archlinux")),
    ("alpine", ("alpine",)),
)
