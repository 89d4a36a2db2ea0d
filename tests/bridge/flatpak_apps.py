"""Real Flatpak apps built offline for the bridge tests (TESTBED.md section 5): a busybox runtime
that also carries flatpak-spawn, a KeePassXC whose keepassxc-proxy speaks native messaging, and a
Firefox that keeps ~/.mozilla in ~/.var/app like Flathub's."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

KPXC = "org.keepassxc.KeePassXC"
FIREFOX = "org.mozilla.firefox"
FLATPAK_SPAWN = "/usr/libexec/flatpak-xdg-utils/flatpak-spawn"
SESSION_HELPER = "/usr/libexec/flatpak-session-helper"
REMOTE = "envman-bridge-test"
RUNTIME = "org.example.Platform"

# A stand-in keepassxc-proxy: one native message in (4-byte native-endian length + JSON), one out.
# It reports the sandbox it runs in (/.flatpak-info) and how many arguments the browser passed.
PROXY = r"""#!/bin/sh
len=$(dd bs=1 count=4 2>/dev/null | od -An -tu4 | tr -d ' \n')
request=$(dd bs=1 count="$len" 2>/dev/null)
where=host
[ -f /.flatpak-info ] && where=$(grep -m1 '^name=' /.flatpak-info | cut -d= -f2)
reply="{\"proxy\":\"$where\",\"argc\":$#,\"request\":$request}"
n=${#reply}
octal='\\%03o\\%03o\\%03o\\%03o'
printf "$(printf "$octal" $((n & 255)) $((n >> 8 & 255)) $((n >> 16 & 255)) $((n >> 24 & 255)))"
printf '%s' "$reply"
"""


def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    """Run ARGV; it must succeed."""
    done = subprocess.run(argv, capture_output=True, check=False, timeout=60, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{argv}: {done.stderr.decode(errors='replace')}"
    return done  # type: ignore[no-any-return]


def available() -> bool:
    """flatpak, bubblewrap, a session bus, flatpak-spawn and busybox are all here."""
    tools = ("flatpak", "bwrap", "dbus-daemon", "busybox", "ldd")
    return all(shutil.which(p) for p in tools) and all(
        Path(p).exists() for p in (FLATPAK_SPAWN, SESSION_HELPER)
    )


def runtime_tree(root: Path) -> None:
    """A tiny runtime: busybox, and flatpak-spawn with its libraries (to reach the host)."""
    files = root / "files"
    (files / "bin").mkdir(parents=True)
    (files / "lib/x86_64-linux-gnu").mkdir(parents=True)
    (files / "lib64").mkdir()
    shutil.copy(shutil.which("busybox") or "", files / "bin/busybox")
    for tool in ("sh", "cat", "od", "dd", "tr", "grep", "cut", "printf", "test", "true"):
        (files / "bin" / tool).symlink_to("busybox")
    shutil.copy(FLATPAK_SPAWN, files / "bin/flatpak-spawn")
    libs = run(["ldd", FLATPAK_SPAWN]).stdout.decode().split()
    for lib in (w for w in libs if w.startswith("/") and ".so" in w):
        target = files / ("lib64" if "ld-linux" in lib else "lib/x86_64-linux-gnu") / Path(lib).name
        shutil.copy(lib, target)
    (root / "metadata").write_text(
        "[Runtime]\nname=org.example.Platform\n"
        "runtime=org.example.Platform/x86_64/1\nsdk=org.example.Platform/x86_64/1\n"
    )


def app_tree(work: Path, repo: Path, app: str, command: str, script: str, *finish: str) -> None:
    env = build_env(work)  # build-init needs the runtime installed (in WORK/home)
    tree = work / app
    run(
        [
            "flatpak",
            "build-init",
            str(tree),
            app,
            "org.example.Platform",
            "org.example.Platform",
            "1",
        ],
        env=env,
    )
    (tree / "files/bin").mkdir(parents=True)
    (tree / "files/bin" / command).write_text(script)
    (tree / "files/bin" / command).chmod(0o755)
    run(["flatpak", "build-finish", str(tree), f"--command={command}", *finish], env=env)
    run(["flatpak", "build-export", str(repo), str(tree)], env=env)


def build_env(work: Path) -> dict[str, str]:
    """The environment for building: a HOME in WORK, so the user's own flatpak dir is untouched."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "FLATPAK_"))}
    return {**env, "HOME": str(work / "home")}


def build_repo(work: Path) -> Path:
    """An OSTree repo in WORK with the runtime, KeePassXC and Firefox."""
    repo = work / "repo"
    env = build_env(work)
    runtime_tree(work / "runtime")
    export = ["flatpak", "build-export", "--runtime", "--files=files"]
    run([*export, str(repo), str(work / "runtime"), "1"], env=env)
    run(["flatpak", "remote-add", "--user", "--no-gpg-verify", REMOTE, str(repo)], env=env)
    run(["flatpak", "install", "--user", "-y", "--noninteractive", REMOTE, RUNTIME], env=env)
    # Like Flathub's: KeePassXC may write in the home, Firefox keeps ~/.mozilla in ~/.var/app.
    app_tree(work, repo, KPXC, "keepassxc-proxy", PROXY, "--filesystem=home")
    app_tree(work, repo, FIREFOX, "firefox", '#!/bin/sh\nexec sh "$@"\n', "--persist=.mozilla")
    return repo


def install_apps(repo: Path, env: dict[str, str]) -> None:
    """Install everything for ENV's HOME (a --user installation) and run Firefox once."""
    run(["flatpak", "remote-add", "--user", "--no-gpg-verify", REMOTE, str(repo)], env=env)
    run(
        ["flatpak", "install", "--user", "-y", "--noninteractive", REMOTE, RUNTIME, KPXC, FIREFOX],
        env=env,
    )
    run(["flatpak", "run", FIREFOX, "-c", "true"], env=env)
