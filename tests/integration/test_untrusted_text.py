"""What envman prints from files and arguments: escaped, one line each, never a secret's line."""

from __future__ import annotations

from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import Envman

SECRET = "s3cr3t-hash"
SECRETS = [
    f"root:$y$j9T${SECRET}:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\n",
    f"root:$y$j9T${SECRET}:20228:0:99999:7:::\n",
    f"{SECRET}\n",
    f"- {SECRET}\n",
    f"password: {SECRET}\n",
    f"https://me:{SECRET}@git.example.com\n",
    f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SECRET}\n",
    f"root: 1\nroot: {SECRET}\n",
]
CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")


def check_printed(out: str) -> None:
    assert not any(c in out for c in CONTROLS), repr(out)
    assert SECRET not in out, out
    assert "Traceback" not in out


@pytest.mark.parametrize("secret", SECRETS)
def test_an_include_linked_to_a_secret_file_never_prints_it(
    envman: Envman, tmp_path: Path, secret: str
) -> None:
    shadow = tmp_path / "shadow"
    shadow.write_text(secret)
    shadow.chmod(0o600)
    profile = envman.write_profile("box", "envman: 1\nimage: debian\ninclude: [evil]\n")
    (profile.parent / "evil.yaml").symlink_to(shadow)
    for command in (["profile", "validate", "box"], ["profile", "show", "box"], ["up", "box"]):
        result = envman.run(*command)
        assert result.returncode in (ExitCode.PROFILE_SYNTAX, ExitCode.PROFILE_SCHEMA), command
        check_printed(result.stdout + result.stderr)
        assert "evil.yaml:" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "body",
    [
        'name: "x\\e]0;pwned\\a"\n',
        'env: {"A\\e[2J": x}\n',
        'packages: ["vim\\e]0;pwned\\a"]\n',
        'image: "debian\\u202e"\n',
        'hooks: [{run: [x], when: "build\\x9b31m"}]\n',
    ],
)
def test_terminal_escapes_from_a_profile_are_printed_escaped(envman: Envman, body: str) -> None:
    envman.write_profile("box", "envman: 1\n" + body)
    for command in (["profile", "validate", "box"], ["profile", "show", "box"], ["up", "box"]):
        result = envman.run(*command)
        assert result.returncode == ExitCode.PROFILE_SCHEMA, (command, result.stderr)
        out = result.stdout + result.stderr
        check_printed(out)
        assert "\\x1b" in out or "\\x9b" in out or "\\u202e" in out, out
        errors = [line for line in result.stderr.splitlines() if line]
        assert len(errors) <= 2, errors


def test_run_prints_a_hostile_environment_name_escaped(envman: Envman) -> None:
    for name in ("x\x1b]0;pwned\x07", "x\n", "../x"):
        result = envman.run("run", name, "--", "true")
        assert result.returncode == ExitCode.ENV_NOT_FOUND
        check_printed(result.stderr)
        assert len(result.stderr.splitlines()) == 2


def test_printable_escapes_every_control_and_keeps_text() -> None:
    from envman.cli.output import printable

    assert printable("plain é 中文 ~!@#$%^&*()") == "plain é 中文 ~!@#$%^&*()"
    assert printable("a\x1bb\nc\x9bd\u2028e\u202ef\x00") == (
        "a\\x1bb\\x0ac\\x9bd\\u2028e\\u202ef\\x00"
    )
