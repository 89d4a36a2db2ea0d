"""Team source fixtures: an isolated git identity with SSH signing keys, and real team repos."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from envman.ops.context import Context
from envman.paths import Paths

REQUIRED = os.environ.get("ENVMAN_REQUIRE_PODMAN") == "1"


def need(program: str) -> None:
    """Skip without `program`; fail instead in CI, where every real-system test must run."""
    if shutil.which(program) is not None:
        return
    if REQUIRED:
        pytest.fail(f"{program} is required here (ENVMAN_REQUIRE_PODMAN=1) but is missing")
    pytest.skip(f"{program} is not installed")


def sh(*argv: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run a command for the test's own setup; its failure fails the test."""
    result = subprocess.run(
        list(argv), cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{' '.join(argv)}: {result.stderr}"
    return result.stdout.strip()


@dataclass
class Keys:
    """SSH signing keys: one in the allowed signers file, one not."""

    trusted: Path
    untrusted: Path
    allowed_signers: Path


@dataclass
class TeamRepo:
    """A 'remote' bare repository and a working clone to commit, tag and push from."""

    remote: Path
    work: Path

    def git(self, *args: str) -> str:
        return sh("git", *args, cwd=self.work)

    def write(self, relative: str, text: str, mode: int = 0o644) -> Path:
        path = self.work / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        path.chmod(mode)
        return path

    def commit(self, message: str, *, sign: bool = False, push: bool = True) -> str:
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", message, *(["-S"] if sign else []))
        if push:
            self.git("push", "--quiet", "origin", "HEAD")
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, *, sign: bool = False, key: Path | None = None) -> str:
        args = ["-s"] if sign else ["-a"]
        extra = ["-c", f"user.signingkey={key}"] if key else []
        sh("git", *extra, "tag", *args, "-m", f"release {name}", name, cwd=self.work)
        self.git("push", "--quiet", "origin", f"refs/tags/{name}")
        return self.git("rev-parse", name)

    def lightweight_tag(self, name: str) -> None:
        self.git("tag", name)
        self.git("push", "--quiet", "origin", f"refs/tags/{name}")

    def badly_signed_tag(self, name: str) -> None:
        """A signed tag whose message was changed afterwards: the signature no longer matches."""
        self.tag(name, sign=True)
        text = self.git("cat-file", "tag", name) + "\n"
        forged = subprocess.run(
            ["git", "mktag"],
            cwd=self.work,
            input=text.replace(f"release {name}", f"forged {name}"),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        self.git("update-ref", f"refs/tags/{name}", forged)
        self.git("push", "--quiet", "--force", "origin", f"refs/tags/{name}")

    def force_push(self, message: str, *, sign: bool = False) -> str:
        """Rewrite the last commit and force-push the branch."""
        self.git("add", "--all")
        self.git("commit", "--quiet", "--amend", "-m", message, *(["-S"] if sign else []))
        self.git("push", "--quiet", "--force", "origin", "HEAD")
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def git_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Keys:
    """HOME, XDG dirs and a global git config of the test's own, with SSH signing set up."""
    need("git")
    need("ssh-keygen")
    home = tmp_path / "home"
    home.mkdir()
    for var in list(os.environ):
        if var.startswith(("GIT_", "XDG_", "ENVMAN_")):
            monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(home))
    for name in ("config", "data", "state", "cache"):
        (tmp_path / name).mkdir()
        monkeypatch.setenv(f"XDG_{name.upper()}_HOME", str(tmp_path / name))
    gitconfig = home / ".gitconfig"
    gitconfig.touch()
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    keys_dir = home / "keys"
    keys_dir.mkdir()
    for name in ("trusted", "untrusted"):
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(keys_dir / name))
    allowed = keys_dir / "allowed_signers"
    allowed.write_text(f"dev@example.com {(keys_dir / 'trusted.pub').read_text()}")
    settings = {
        "user.name": "Team Dev",
        "user.email": "dev@example.com",
        "init.defaultBranch": "main",
        "gpg.format": "ssh",
        "user.signingkey": str(keys_dir / "trusted"),
        "gpg.ssh.allowedSignersFile": str(allowed),
        "protocol.file.allow": "always",
    }
    for key, value in settings.items():
        sh("git", "config", "--global", key, value)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return Keys(keys_dir / "trusted", keys_dir / "untrusted", allowed)


@pytest.fixture
def make_repo(tmp_path: Path, git_home: Keys) -> Callable[[str], TeamRepo]:
    """A factory: make_repo(name) -> a bare 'remote' and a working clone of it."""

    def create(name: str) -> TeamRepo:
        remote = tmp_path / "remotes" / f"{name}.git"
        remote.parent.mkdir(parents=True, exist_ok=True)
        sh("git", "init", "--quiet", "--bare", str(remote))
        work = tmp_path / "clones" / name
        sh("git", "clone", "--quiet", str(remote), str(work))
        return TeamRepo(remote, work)

    return create


@pytest.fixture
def ctx(git_home: Keys, tmp_path: Path) -> Context:
    """An operation context on the isolated directories."""
    return Context(paths=Paths.from_env(cwd=tmp_path / "work"), environ=dict(os.environ))
