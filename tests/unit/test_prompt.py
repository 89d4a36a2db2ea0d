"""The prompt snippet envman writes to /etc/profile.d: golden text, and what bash makes of it."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from envman.render.prompt import prompt_snippet
from tests.helpers import assert_golden

BASH = shutil.which("bash")


def test_prompt_snippet_is_golden() -> None:
    assert_golden("render/envman-prompt.sh", prompt_snippet())


def _prompt_after(script: str, env: dict[str, str]) -> str:
    assert BASH is not None
    result = subprocess.run(
        [BASH, "--norc", "--noprofile", "-i", "-c", f"{prompt_snippet()}\n{script}"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", **env},
    )
    return result.stdout


@pytest.mark.skipif(BASH is None, reason="needs bash")
def test_bash_prompt_gets_the_marker_once_whatever_bashrc_sets() -> None:
    # as ~/.bashrc does after /etc/profile.d: PS1 set again, then the prompt is drawn twice
    script = r"""PS1='\u@\h:\w\$ '; eval "$PROMPT_COMMAND"; eval "$PROMPT_COMMAND"; echo "$PS1" """
    out = _prompt_after(script, {"PS1": "$ ", "CONTAINER_ID": "dev"})
    assert out == "\\[\\033[35m\\]⬢\\[\\033[0m\\] dev \\u@\\h:\\w\\$ \n"  # \h: the host's name


@pytest.mark.skipif(BASH is None, reason="needs bash")
def test_no_marker_when_turned_off() -> None:
    script = 'echo "[${PROMPT_COMMAND:-}]"'
    off = {"PS1": "$ ", "CONTAINER_ID": "dev", "ENVMAN_NO_PROMPT": "1"}
    assert _prompt_after(script, off) == "[]\n"
