"""validate, `up --dry-run` and `up` refuse the same profiles, with one code and file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import PROFILE_IMAGE, Envman, labelled, make_envman, unique

pytestmark = pytest.mark.podman

HEAD = f"envman: 1\nimage: {PROFILE_IMAGE}\n"
# (case, file suffix, text, exit code, line, words the message holds)
REFUSALS = [
    ("clone", "yaml", HEAD + "distrobox:\n  clone: old-box\n", ExitCode.PROFILE_SCHEMA, 4, "clone"),
    (
        "ini clone",
        "ini",
        f"[NAME]\nimage={PROFILE_IMAGE}\nclone=old-box\n",
        ExitCode.PROFILE_SCHEMA,
        3,
        "clone",
    ),
    (
        "HOME in a build hook",
        "yaml",
        HEAD + "hooks:\n  - sh: cp $HOME/.bashrc /etc/skel/\n",
        ExitCode.PROFILE_SCHEMA,
        4,
        "$HOME",
    ),
    (
        "tilde in a build hook",
        "yaml",
        HEAD + "packages: [git]\nhooks:\n  - run: [cp, ~/.bashrc, /etc/skel/]\n",
        ExitCode.PROFILE_SCHEMA,
        5,
        "uses ~",
    ),
    (
        "privileged",
        "yaml",
        HEAD + "packages: [git]\npodman_args: [--privileged]\n",
        ExitCode.PROFILE_SCHEMA,
        4,
        "--privileged",
    ),
    (
        "ini privileged",
        "ini",
        f"[NAME]\nimage={PROFILE_IMAGE}\nadditional_flags=--env A=b\n"
        "additional_flags=--privileged\n",
        ExitCode.PROFILE_SCHEMA,
        4,
        "--privileged",
    ),
]


def write(envman: Envman, name: str, suffix: str, text: str) -> Path:
    path = envman.work / "profiles" / f"{name}.{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace("NAME", name), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", REFUSALS, ids=[c[0] for c in REFUSALS])
def test_validate_dry_run_and_up_refuse_alike_before_any_build(
    tmp_path: Path, case: tuple[str, str, str, int, int, str]
) -> None:
    _, suffix, text, code, line, words = case
    envman = make_envman(tmp_path)
    name = unique("itest-agree")
    path = write(envman, name, suffix, text)
    where = f"{path}:{line}: "
    try:
        validated = envman.run("profile", "validate", name)
        assert validated.returncode == code, validated.stdout + validated.stderr
        assert where in validated.stdout and words in validated.stdout, validated.stdout
        for command in (["up", "--dry-run", name], ["up", name]):
            result = envman.run(*command)
            assert result.returncode == code, (command, result.stderr)
            message = result.stderr.splitlines()[0]
            assert message.startswith(f"envman: error: {where}"), (command, message)
            assert words in message and "STEP" not in result.stderr
        assert labelled("images", f"envman.profile={name}") == []
        assert labelled("ps", f"envman.profile={name}") == []
    finally:
        envman.run("rm", "--yes", name)
