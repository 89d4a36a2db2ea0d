"""CLI conventions on real podman: run options after NAME, ls -q/--format, --json, --dry-run,
status exit codes, did-you-mean hints."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import PROFILE_IMAGE, Envman, make_envman, podman, unique

pytestmark = pytest.mark.podman


def profile(version: str) -> str:
    return f'envman: 1\nversion: "{version}"\nimage: {PROFILE_IMAGE}\n'


@pytest.fixture(scope="module")
def ready(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Envman, str]]:
    envman = make_envman(tmp_path_factory.mktemp("conv"))
    name = unique("itest-conv")
    envman.write_profile(name, profile("1"))
    envman.run("up", name, check=True)
    yield envman, name
    envman.run("rm", "--yes", name)


@pytest.mark.parametrize("via", ["api", "podman"])
def test_run_options_after_the_name_are_envmans(ready: tuple[Envman, str], via: str) -> None:
    envman, name = ready
    extra = {"ENVMAN_RUN_VIA": via}
    result = envman.run(
        "run", name, "-e", "FOO=1", "-w", "/tmp", "--", "sh", "-c", 'echo "$FOO $PWD"',
        extra_env=extra,
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (0, "1 /tmp\n"), result.stderr
    result = envman.run("run", name, "--", "sh", "-c", 'echo "$1"', "-", "-e", extra_env=extra)
    assert result.stdout == "-e\n"


def test_a_missing_binary_is_127_with_envmans_error(ready: tuple[Envman, str]) -> None:
    envman, name = ready
    result = envman.run("run", name, "--", "no-such-binary", extra_env={"ENVMAN_RUN_VIA": "api"})
    assert result.returncode == 127
    assert result.stderr.startswith("envman: error: ")


def test_ls_quiet_and_format(ready: tuple[Envman, str]) -> None:
    envman, name = ready
    assert name in envman.run("ls", "-q", check=True).stdout.splitlines()
    lines = envman.run("ls", "--format", "{{.Name}}\\t{{.State}}", check=True).stdout
    assert f"{name}\trunning" in lines.splitlines()
    assert f"{name}:1" in envman.run("ls", "--format", "{name}:{version}", check=True).stdout
    bad = envman.run("ls", "--format", "{{.Nope}}")
    assert bad.returncode == ExitCode.USAGE and "fields: name, state" in bad.stderr


def test_stop_pin_unpin_report_json(ready: tuple[Envman, str]) -> None:
    envman, name = ready
    stopped = envman.json("stop", name)
    assert stopped["name"] == name and stopped["state"] == "stopped"
    assert envman.run("run", name, "--", "true").returncode == 0  # starts it again
    assert envman.json("pin", name, "1") == {"name": name, "generation": 1, "pinned": True}
    assert envman.json("unpin", name, "1")["pinned"] is False


def test_rm_dry_run_removes_nothing(ready: tuple[Envman, str]) -> None:
    envman, name = ready
    text = envman.run("rm", "--dry-run", name, check=True).stdout
    assert f"{name}: would remove (dry run, nothing removed)" in text
    assert f"  container {name}" in text and "  image " in text
    plan = envman.json("rm", "--dry-run", name)
    assert plan["dry_run"] is True and plan["containers"] == [name]
    assert podman("container", "exists", name).returncode == 0
    assert all(json.dumps(path).strip('"') for path in plan["files"])
    assert envman.run("run", name, "--", "true").returncode == 0


def test_did_you_mean_for_environment_and_profile_names(ready: tuple[Envman, str]) -> None:
    envman, name = ready
    typo = name[:-1] + ("x" if name[-1] != "x" else "y")
    for args in (("run", typo, "--", "true"), ("status", typo), ("stop", typo)):
        result = envman.run(*args)
        assert result.returncode == ExitCode.ENV_NOT_FOUND, args
        assert f"hint: did you mean '{name}'?" in result.stderr, (args, result.stderr)
    result = envman.run("up", typo)
    assert result.returncode == ExitCode.PROFILE_NOT_FOUND
    assert f"hint: did you mean '{name}'?" in result.stderr


def test_status_exit_code_and_gc_dry_run(ready: tuple[Envman, str]) -> None:
    envman, name = ready
    assert envman.run("status", name).returncode == 0
    envman.write_profile(name, profile("2"))
    stale = envman.run("status", name)
    assert stale.returncode == 1 and "stale" in stale.stdout
    assert envman.run("status", name, "--json").returncode == 1
    envman.run("up", name, check=True)
    assert envman.run("status", name).returncode == 0
    before = envman.json("history", name)
    plan = envman.run("gc", "--dry-run", "--keep", "0", check=True).stdout
    assert f"{name}: would remove generation(s) 1" in plan
    assert envman.json("history", name) == before
    assert len(before) == 2
    assert podman("image", "exists", before[1]["image_id"]).returncode == 0
