"""Generations on real podman: update, roll back (home kept), hold, go forward, pin, gc."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import (
    PROFILE_IMAGE,
    Envman,
    labelled,
    podman,
    unique,
)

pytestmark = pytest.mark.podman

PROFILE = """\
envman: 1
name: {name}
version: "{version}"
image: {image}
hooks:
  - run: [sh, -c, "echo {version} > /etc/gen-marker"]
integration:
  home: {home}
"""


@pytest.fixture
def name(envman: Envman) -> Iterator[str]:
    env_name = unique("gens")
    yield env_name
    envman.run("rm", "--yes", env_name)


def write(envman: Envman, name: str, version: str) -> None:
    home = envman.root / "home"
    envman.write_profile(
        name, PROFILE.format(name=name, version=version, image=PROFILE_IMAGE, home=home)
    )


def marker(envman: Envman, name: str) -> str:
    return envman.run("run", name, "--", "cat", "/etc/gen-marker", check=True).stdout.strip()


def generations(envman: Envman, name: str) -> list[dict[str, object]]:
    return json.loads(envman.run("history", name, "--json", check=True).stdout)


def image_exists(ref: str) -> bool:
    return podman("image", "exists", ref).returncode == 0


def test_update_rollback_hold_forward_pin_and_gc(envman: Envman, name: str) -> None:
    write(envman, name, "1.0")
    envman.run("up", name, check=True)
    write(envman, name, "2.0")
    assert "rebuilt" in envman.run("up", name, check=True).stdout
    rows = generations(envman, name)
    assert [(r["number"], r["current"], r["version"]) for r in rows] == [
        (2, True, "2.0"),
        (1, False, "1.0"),
    ]
    assert marker(envman, name) == "2.0"
    (envman.root / "home" / "notes.txt").write_text("kept across rollbacks")

    back = envman.run("rollback", name, check=True)
    assert f"{name}: generation 2 -> 1" in back.stdout
    assert marker(envman, name) == "1.0"
    home_file = envman.run("run", name, "--", "cat", str(envman.root / "home" / "notes.txt"))
    assert home_file.stdout == "kept across rollbacks"
    kept = envman.run("up", name, check=True).stdout.splitlines()
    assert kept[0] == f"{name}: kept (image localhost/envman/{name}:gen-1)"
    assert kept[1].startswith("  keep: rolled back to generation 1: up keeps it until")
    assert marker(envman, name) == "1.0"
    status = envman.run("status", name)
    assert status.returncode == 1  # kept back: stale, as status says and exits
    assert "  up: would be kept\n" in status.stdout
    assert "  keep: rolled back to generation 1" in status.stdout
    assert "rebuil" not in status.stdout  # one thing said: kept, not also rebuilt

    forward = envman.run("rollback", name, "2", check=True)
    assert f"{name}: generation 1 -> 2" in forward.stdout
    assert marker(envman, name) == "2.0"
    assert "up-to-date" in envman.run("up", name, check=True).stdout

    write(envman, name, "3.0")
    envman.run("up", name, check=True)
    envman.run("pin", name, "1", check=True)
    collected = envman.run("gc", "--keep", "1", check=True).stdout
    assert f"{name}: removed generation(s) 2" in collected
    rows = generations(envman, name)
    assert [(r["number"], r["pinned"]) for r in rows] == [(3, False), (1, True)]
    assert not image_exists(f"localhost/envman/{name}:gen-2")
    assert image_exists(f"localhost/envman/{name}:gen-1")

    gone = envman.run("rollback", name, "2")
    assert gone.returncode == ExitCode.GENERATION_NOT_FOUND
    assert "no generation 2" in gone.stderr and "Traceback" not in gone.stderr
    envman.run("rollback", name, "1", check=True)
    assert marker(envman, name) == "1.0"

    envman.run("rm", "--yes", name, check=True)
    assert labelled("images", f"envman.profile={name}") == []
    assert envman.run("history", name).returncode == ExitCode.ENV_NOT_FOUND


def test_dry_run_names_layers_and_settings_and_changes_nothing(envman: Envman, name: str) -> None:
    write(envman, name, "1.0")
    envman.run("up", name, check=True)
    images = labelled("images", f"envman.profile={name}")
    assert "up-to-date" in envman.run("up", "--dry-run", name, check=True).stdout

    write(envman, name, "2.0")
    plan = json.loads(envman.run("up", "--dry-run", name, "--json", check=True).stdout)
    assert plan["action"] == "rebuilt"
    assert [step["kind"] for step in plan["steps"]] == ["build", "recreate"]
    assert plan["reused_layers"] >= 3
    assert any("echo 2.0 > /etc/gen-marker" in text for text in plan["rebuilt_layers"])
    assert not any(text.startswith("FROM") for text in plan["rebuilt_layers"])
    assert labelled("images", f"envman.profile={name}") == images
    assert marker(envman, name) == "1.0"

    write(envman, name, "1.0")
    profile = envman.work / "profiles" / f"{name}.yaml"
    profile.write_text(profile.read_text() + "env:\n  NEW_VAR: x\n")
    plan = json.loads(envman.run("up", "--dry-run", name, "--json", check=True).stdout)
    assert plan["action"] == "recreated"
    assert [step["kind"] for step in plan["steps"]] == ["recreate"]
    assert plan["runtime_changes"] == ["env"]
    assert len(generations(envman, name)) == 1


def test_gc_keep_zero_keeps_only_the_current_and_pinned(envman: Envman, name: str) -> None:
    for version in ("1.0", "2.0", "3.0"):
        write(envman, name, version)
        envman.run("up", name, check=True)
    envman.run("pin", name, "1", check=True)
    negative = envman.run("gc", "--keep", "-1")
    assert negative.returncode == ExitCode.USAGE and "--keep" in negative.stderr
    assert [r["number"] for r in generations(envman, name)] == [3, 2, 1]
    collected = envman.run("gc", "--keep", "0", check=True).stdout
    assert f"{name}: removed generation(s) 2" in collected
    assert [(r["number"], r["current"]) for r in generations(envman, name)] == [
        (3, True),
        (1, False),
    ]
    assert marker(envman, name) == "3.0"


def test_podman_refusing_an_operation_gives_exit_12_with_a_hint(tmp_path: Path) -> None:
    from envman.errors import ContainerFailed
    from envman.ops.context import Context
    from envman.paths import Paths

    engine = Context(Paths.from_env(cwd=tmp_path)).engine()
    with pytest.raises(ContainerFailed) as refused:
        engine.remove_image(f"localhost/envman/{unique('no-such')}:gen-1")
    assert refused.value.exit_code == ExitCode.CONTAINER_FAILED == 12
    assert refused.value.hint and "podman" in refused.value.hint
