"""Exports on real podman: xterm from Debian exported, validated, run, unexported; hostile names."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.errors import ExitCode
from envman.exports.desktop_entry import parse
from envman.exports.exec_line import split_exec
from tests.integration.envman_cli import PROFILE_IMAGE, Envman, make_envman, podman, unique

pytestmark = pytest.mark.podman

PROFILE = """\
envman: 1
name: {name}
image: {image}
packages: [xterm]
exports:
  apps: [{apps}]
  bins: [{bins}]
  bins_path: {bins_path}
"""

HOSTILE = (
    "[Desktop Entry]\n"
    "Type=Application\n"
    'Name=Evil "name" $(id)\n'
    r"""Exec=sh -c "printf '%%s|' \\"\\$@\\" > {out}" zero "a b" "semi;colon" """
    r""""\\$(touch {pwned})" %u"""
    "\nIcon=../../../../tmp/evil\n"
)


@pytest.fixture
def envman(tmp_path: Path) -> Envman:
    # /tmp is shared with the container (X11), so files the apps write there are visible here.
    return make_envman(tmp_path, user_env={"XDG_DATA_HOME": str(tmp_path / "data")})


@pytest.fixture
def name(envman: Envman) -> Iterator[str]:
    env_name = unique("exports")
    yield env_name
    envman.run("rm", "--yes", env_name)


def write(envman: Envman, name: str, *, apps: str = "", bins: str = "") -> None:
    bins_path = envman.root / "bin"
    text = PROFILE.format(name=name, image=PROFILE_IMAGE, apps=apps, bins=bins, bins_path=bins_path)
    envman.write_profile(name, text)


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=False)


def validate(path: Path) -> None:
    check = run(["desktop-file-validate", str(path)], dict(os.environ))
    assert check.returncode == 0, check.stdout + check.stderr


def files_under(root: Path) -> set[str]:
    if not root.exists():
        return set()
    caches = {"mimeinfo.cache", "icon-theme.cache"}
    return {str(p) for p in root.rglob("*") if p.is_file() and p.name not in caches}


def exec_argv(desktop: Path, url: str | None = None) -> list[str]:
    """The command a desktop would run for this launcher, field codes filled in."""
    args = split_exec(parse(desktop.read_text()).main.get("Exec") or "")
    out = [a.text for a in args if not a.field_code]
    if url is not None and any(a.field_code for a in args):
        out.append(url)
    return out


def test_profile_exports_xterm_validated_running_then_gone(envman: Envman, name: str) -> None:
    data = envman.root / "data"
    write(envman, name, apps="debian-xterm", bins="/usr/bin/xterm")
    first = envman.run("up", name, check=True)
    assert "exported debian-xterm.desktop" in first.stdout
    launcher = data / "applications" / f"envman-{name}-debian-xterm.desktop"
    icon = data / "icons" / "hicolor" / "scalable" / "apps" / f"envman-{name}-mini.xterm.svg"
    wrapper = envman.root / "bin" / "xterm"
    assert launcher.is_file() and icon.is_file() and wrapper.is_file()
    assert b"<svg" in icon.read_bytes()
    validate(launcher)
    entry = parse(launcher.read_text()).main
    assert entry.get("Name") == f"XTerm ({name})"
    assert entry.get("Icon") == f"envman-{name}-mini.xterm"
    assert entry.get("StartupWMClass") == "XTerm"

    # The launcher's command reaches the real xterm in the container (the host has none).
    assert shutil.which("xterm") is None
    env = {k: v for k, v in envman.env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    ran = run(exec_argv(launcher), env)
    assert "xterm: Xt error: Can't open display" in ran.stderr
    version = run([str(wrapper), "-version"], env)
    assert version.returncode == 0 and version.stdout.startswith("XTerm(")

    # Unchanged profile: nothing is exported again.
    mtime = launcher.stat().st_mtime_ns
    second = envman.run("up", name, check=True)
    assert "exported" not in second.stdout and launcher.stat().st_mtime_ns == mtime

    # The app leaves the profile: the next up unexports it, the wrapper stays.
    write(envman, name, bins="/usr/bin/xterm")
    third = envman.run("up", name, check=True)
    assert "unexported debian-xterm.desktop" in third.stdout
    assert not launcher.exists() and not icon.exists() and wrapper.exists()

    envman.run("rm", "--yes", name, check=True)
    assert files_under(data / "applications") | files_under(data / "icons") == set()
    assert not wrapper.exists()
    assert not (envman.root / "state" / "envman" / "exports" / f"{name}.json").exists()


def test_cli_export_hostile_names_clashes_changed_files_and_gc(
    envman: Envman, name: str, tmp_path: Path
) -> None:
    data = envman.root / "data"
    write(envman, name)
    envman.run("up", name, check=True)
    out, pwned = tmp_path / "evil-args", tmp_path / "pwned"
    envman.run(
        "run",
        name,
        "--",
        "tee",
        "/usr/share/applications/evil.desktop",
        "/usr/share/applications/my app.desktop",
        input_text=HOSTILE.format(out=out, pwned=pwned),
        check=True,
    )

    exported = envman.run("export", name, "--app", "evil")
    assert exported.returncode == 0, exported.stderr
    assert "goes without an icon" in exported.stderr
    launcher = data / "applications" / f"envman-{name}-evil.desktop"
    validate(launcher)
    subprocess.run(exec_argv(launcher, "https://x y"), check=True, env=envman.env, timeout=60)
    assert out.read_text() == f"a b|semi;colon|$(touch {pwned})|https://x y|"
    assert not pwned.exists()
    assert files_under(data) - {str(launcher)} <= {str(data / "envman" / "bin" / "envman")}

    for bad in ("../../etc/passwd", "/usr/share/applications/my app.desktop", "a;b"):
        refused = envman.run("export", name, "--app", bad)
        assert refused.returncode == ExitCode.EXPORT_FAILED, refused.stderr
        assert refused.stderr.count("\n") <= 2 and "Traceback" not in refused.stderr
    missing = envman.run("export", name, "--bin", "/usr/bin/no-such-tool")
    assert missing.returncode == ExitCode.EXPORT_FAILED
    # README: `envman export` suggests ids when none matches exactly.
    near = envman.run("export", name, "--app", "xterm")
    assert near.returncode == ExitCode.EXPORT_FAILED, near.stderr
    assert "no desktop file with the id xterm.desktop" in near.stderr
    assert "hint: did you mean debian-uxterm.desktop, debian-xterm.desktop?" in near.stderr

    # A file envman did not write is never overwritten.
    bins = envman.root / "bin"
    bins.mkdir(exist_ok=True)
    (bins / "xterm").write_text("#!/bin/sh\necho mine\n")
    clash = envman.run("export", name, "--bin", "/usr/bin/xterm", "--bins-path", str(bins))
    assert clash.returncode == ExitCode.FILE_CLASH
    assert (bins / "xterm").read_text() == "#!/bin/sh\necho mine\n"
    (bins / "xterm").unlink()
    envman.run("export", name, "--bin", "/usr/bin/xterm", "--bins-path", str(bins), check=True)
    shadowing = envman.run("export", name, "--bin", "/usr/bin/true", "--bins-path", str(bins))
    assert (
        shadowing.returncode == 0 and "/true has the same name as the wrapper" in shadowing.stderr
    )
    envman.run("unexport", name, "--bin", "/usr/bin/true", check=True)
    assert not (bins / "true").exists()

    # A launcher the user changed is kept and reported; the rest goes.
    launcher.write_text(launcher.read_text() + "# my change\n")
    listed = json.loads(envman.run("exports", name, "--json", check=True).stdout)
    assert {row["status"] for row in listed} == {"ok", "changed"}
    gone = envman.run("unexport", name, "--app", "evil", check=True)
    assert f"kept {launcher}" in gone.stderr and launcher.exists()

    # The container disappears behind envman's back: gc still removes exactly what was exported.
    assert podman("rm", "-f", name).returncode == 0
    collected = envman.run("gc", check=True)
    assert f"{name}: removed 1 exported file(s)" in collected.stdout
    assert not (bins / "xterm").exists()
    assert envman.run("exports", name, "--json", check=True).stdout.strip() == "[]"


def test_launcher_shim_falls_back_to_envman_on_path(tmp_path: Path) -> None:
    from envman.exports.launcher import launcher_shim

    shim = tmp_path / "shim"
    shim.write_text(launcher_shim([str(tmp_path / "uninstalled" / "envman")]))
    shim.chmod(0o755)
    other = tmp_path / "reinstalled"
    other.mkdir()
    (other / "envman").write_text('#!/bin/sh\necho "reinstalled envman: $*"\n')
    (other / "envman").chmod(0o755)
    env = {**os.environ, "PATH": f"{other}:/usr/bin:/bin"}
    result = run([str(shim), "run", "x", "--", "a b"], env)
    assert result.stdout == "reinstalled envman: run x -- a b\n"


LEAKY_SETUP = """\
set -e
apps=/usr/share/applications icons=/usr/share/icons/hicolor
mkdir -p $apps $icons/16x16/apps $icons/22x22/apps $icons/32x32/apps $icons/48x48/apps \
    $icons/64x64/apps /usr/share/pixmaps
entry='[Desktop Entry]\\nType=Application\\nExec=true\\n'
printf "${{entry}}Name=Leak\\nIcon=leak\\n" > $apps/leak.desktop
printf "${{entry}}Name=Abs\\nIcon=/usr/share/pixmaps/abs.png\\n" > $apps/abs.desktop
printf 'own icon' > $icons/16x16/apps/leak.png && chmod 0644 $icons/16x16/apps/leak.png
printf 'setuid icon' > $icons/22x22/apps/leak.png && chmod 4755 $icons/22x22/apps/leak.png
printf 'private icon' > $icons/32x32/apps/leak.png && chmod 0600 $icons/32x32/apps/leak.png
ln -s /run/host{secret} $icons/48x48/apps/leak.png
ln -s {secret} $icons/64x64/apps/leak.png
ln -s /run/host{secret} /usr/share/pixmaps/abs.png
ln -s /run/host{host_desktop} $apps/hostfile.desktop
"""


def test_exports_copy_only_the_containers_own_readable_files(
    envman: Envman, name: str, tmp_path: Path
) -> None:
    """Symlinks out of the container's tree (host root, /tmp, home) and private files stay put."""
    data = envman.root / "data"
    envman.write_profile(name, f"envman: 1\nname: {name}\nimage: {PROFILE_IMAGE}\n")
    envman.run("up", name, check=True)
    secret = tmp_path / "secret"
    secret.write_text("root:$y$j9T$s3cr3t:20228:0:99999:7:::\n")
    secret.chmod(0o644)  # readable, so only the container boundary keeps it from being copied
    host_desktop = tmp_path / "host.desktop"
    host_desktop.write_text("[Desktop Entry]\nType=Application\nName=s3cr3t\nExec=true\n")
    setup = LEAKY_SETUP.format(secret=secret, host_desktop=host_desktop)
    envman.run("run", name, "--", "sh", "-c", setup, check=True)

    exported = envman.run("export", name, "--app", "leak")
    assert exported.returncode == 0, exported.stderr
    copied = {p.relative_to(data / "icons").as_posix(): p for p in (data / "icons").rglob("*.png")}
    assert sorted(copied) == [
        f"hicolor/16x16/apps/envman-{name}-leak.png",
        f"hicolor/22x22/apps/envman-{name}-leak.png",
    ]
    assert {p.read_bytes() for p in copied.values()} == {b"own icon", b"setuid icon"}
    assert {p.stat().st_mode & 0o7777 for p in copied.values()} == {0o644}

    absolute = envman.run("export", name, "--app", "abs")
    assert absolute.returncode == 0, absolute.stderr
    assert "icon /usr/share/pixmaps/abs.png not found" in absolute.stderr
    hostfile = envman.run("export", name, "--app", "hostfile")
    assert hostfile.returncode == ExitCode.EXPORT_FAILED
    for path in data.rglob("*"):
        assert not path.is_file() or b"s3cr3t" not in path.read_bytes(), path
    for result in (exported, absolute, hostfile):
        assert "s3cr3t" not in result.stdout + result.stderr
