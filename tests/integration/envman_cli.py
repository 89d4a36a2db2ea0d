"""Driving the real `envman` console script (and podman) from integration tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENVMAN = str(Path(sys.executable).parent / "envman")
REPO = Path(__file__).resolve().parent.parent.parent
BASE_IMAGE = "localhost/debian:bookworm"
PROFILE_IMAGE = "docker.io/library/debian:bookworm"


@dataclass
class Envman:
    """An isolated envman user: its own XDG dirs and working directory, real podman."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)
    prefix: list[str] = field(default_factory=list)

    @property
    def work(self) -> Path:
        return self.root / "work"

    def run(
        self,
        *args: str,
        input_text: str | None = None,
        check: bool = False,
        extra_env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **(extra_env or {})}
        result = subprocess.run(
            [*self.prefix, ENVMAN, *args],
            capture_output=True,
            text=True,
            input=input_text,
            env=env,
            cwd=str(cwd or self.work),
            check=False,
            timeout=900,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"envman {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
            )
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json", check=True).stdout)

    def write_profile(self, name: str, text: str) -> Path:
        path = self.work / "profiles" / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if self.prefix:
            shutil.chown(path, "tester", "tester")
        return path


def make_envman(
    root: Path, *, user_env: dict[str, str] | None = None, prefix: list[str] | None = None
) -> Envman:
    """Create the XDG dirs under `root` and map the Debian profile image to the local base."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "ENVMAN_"))}
    env.update(user_env or {})
    for name in ("config", "state", "cache"):
        (root / name).mkdir(parents=True, exist_ok=True)
        env[f"XDG_{name.upper()}_HOME"] = str(root / name)
    (root / "work").mkdir(exist_ok=True)
    envman = Envman(root, env, prefix or [])
    envman.run("config", "image-override", PROFILE_IMAGE, BASE_IMAGE, check=True)
    return envman


def unique(prefix: str) -> str:
    """A name no other test run uses."""
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def podman(*args: str, user_prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """The podman CLI, to check what envman did from the outside."""
    return subprocess.run(
        [*(user_prefix or []), "podman", *args], capture_output=True, text=True, check=False
    )


def labelled(kind: str, label: str, user_prefix: list[str] | None = None) -> list[str]:
    """Containers (`ps`) or `images` carrying a label."""
    args = ["ps", "-a"] if kind == "ps" else ["images"]
    out = podman(
        *args, "--filter", f"label={label}", "--format", "{{.ID}}", user_prefix=user_prefix
    ).stdout
    return out.split()
