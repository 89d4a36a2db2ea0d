"""`envman profile ...` and `envman config` through the real CLI (no podman needed)."""

from __future__ import annotations

import json
from pathlib import Path

from envman.errors import ExitCode
from tests.integration.envman_cli import REPO, Envman, make_envman, unique

INI = """\
[base]
image=docker.io/library/debian:bookworm
additional_packages="git vim"

[tools]
include=base
additional_packages="jq"
init_hooks=echo one;
init_hooks=echo two
exported_bins="/usr/bin/jq"
"""


def envman_at(tmp_path: Path) -> Envman:
    return make_envman(tmp_path)


def test_list_shows_where_each_profile_comes_from_and_which_wins(tmp_path: Path) -> None:
    envman = envman_at(tmp_path)
    envman.write_profile("ansible", "envman: 1\ndescription: my own\n")
    rows = envman.json("profile", "list")
    ansible = [(r["format"], r["selected"], r["path"]) for r in rows if r["name"] == "ansible"]
    assert ansible[0] == ("yaml", True, str(envman.work / "profiles" / "ansible.yaml"))
    assert ("yaml", False, str(REPO / "profiles" / "ansible.yaml")) in ansible
    assert ("ini", False, f"{REPO / 'profiles' / 'ansible.ini'}#ansible") in ansible
    assert ("containerfile", False, str(REPO / "profiles" / "ansible.Containerfile")) in ansible
    text = envman.run("profile", "list", check=True).stdout
    assert text.splitlines()[0].split() == ["NAME", "FORMAT", "SELECTED", "SOURCE"]


def test_show_prints_the_resolved_profile_and_its_hash(tmp_path: Path) -> None:
    envman = envman_at(tmp_path)
    shown = envman.json("profile", "show", "debian-dev")
    assert shown["name"] == "debian-dev" and len(shown["content_hash"]) == 64
    assert shown["image_tag"] == f"localhost/envman/debian-dev:{shown['content_hash'][:12]}"
    assert shown["base_image"] == "localhost/debian:bookworm"  # the host's override applies
    assert shown["profile"]["integration"]["home"] is True  # defaults are filled in
    again = envman.json("profile", "show", str(REPO / "profiles" / "debian-dev.yaml"))
    assert again["content_hash"] == shown["content_hash"]  # a name or a path: the same profile
    text = envman.run("profile", "show", "debian-dev", check=True).stdout
    assert f"# content hash: {shown['content_hash']}" in text
    rendered = envman.run("profile", "show", "--containerfile", "debian-dev", check=True).stdout
    assert rendered.splitlines()[1] == "FROM localhost/debian:bookworm"


def test_validate_all_shipped_profiles(tmp_path: Path) -> None:
    envman = envman_at(tmp_path)
    results = envman.json("profile", "validate")
    assert results and all(r["error"] is None for r in results), results
    envman.write_profile("broken", "envman: 1\npackages: {a: b}\n")
    bad = envman.run("profile", "validate", "broken", "debian-dev")
    assert bad.returncode == ExitCode.PROFILE_SCHEMA
    assert "FAIL  broken" in bad.stdout and "ok    debian-dev" in bad.stdout


def test_import_ini_to_yaml_and_export_back(tmp_path: Path) -> None:
    envman = envman_at(tmp_path)
    source = envman.work / "team.ini"
    source.write_text(INI)
    out = envman.work / "profiles"
    written = envman.json("profile", "import", str(source), "--output-dir", str(out))["written"]
    assert sorted(Path(p).name for p in written) == ["base.yaml", "tools.yaml"]
    tools = envman.json("profile", "show", "tools")["profile"]
    assert tools["packages"] == ["git", "vim", "jq"]  # include resolved, lists appended
    assert [h["sh"] for h in tools["hooks"]] == ["echo one;\necho two"]
    assert (
        envman.run("profile", "import", str(source), "--output-dir", str(out)).returncode
        == ExitCode.ABORTED
    )
    exported = envman.run("profile", "export", "tools", check=True)
    assert "[tools]" in exported.stdout and 'additional_packages="git vim jq"' in exported.stdout
    assert "init_hooks=echo one;" in exported.stdout
    again = envman.work / "again.ini"
    again.write_text(exported.stdout)
    reimported = envman.json("profile", "show", f"{again}#tools")["profile"]
    assert reimported["packages"] == tools["packages"] and reimported["hooks"] == tools["hooks"]


def test_ini_misreadings_are_errors_with_file_and_line(tmp_path: Path) -> None:
    envman = envman_at(tmp_path)
    source = envman.work / "bad.ini"
    source.write_text("[box]\nimage=fedora:40\ninit=true\nimage=fedora:41\n")
    result = envman.run("profile", "show", f"{source}#box")
    assert result.returncode == ExitCode.PROFILE_SCHEMA, result.stderr
    assert result.stderr.startswith(f"envman: error: {source}:4: image: set again (line 2)")
    assert "Traceback" not in result.stderr


SEED = """\
[ansible]
image=registry.fedoraproject.org/fedora-toolbox:41
additional_packages="git bash-completion vim python3-pip"
init_hooks="pip3 install ansible-core==2.17.*;"
"""


def test_the_seed_ini_validates_with_a_warning_and_strict_refuses_it(tmp_path: Path) -> None:
    envman = envman_at(tmp_path)
    seed = envman.work / "distrobox.ini"
    box = unique("ansible")  # the seed's section, named so as not to meet a real `ansible` here
    seed.write_text(SEED.replace("[ansible]", f"[{box}]"))
    ok = envman.run("profile", "validate", str(seed))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith(f"ok    {seed}#{box}\n      warning: {seed}:4: init_hooks: ")
    assert "portable spelling" in ok.stdout and "`init_hooks=pip3 install" in ok.stdout
    strict = envman.run("profile", "validate", "--strict", str(seed))
    assert strict.returncode == ExitCode.PROFILE_SCHEMA, strict.stdout + strict.stderr
    assert strict.stdout.startswith(f"FAIL  {seed}#{box}\n      {seed}:4: init_hooks: ")
    dry = envman.run("up", "--dry-run", str(seed))
    assert dry.returncode == 0 and "would be created" in dry.stdout, dry.stderr
    exported = envman.run("profile", "export", "--ini", str(seed), check=True).stdout
    assert "\ninit_hooks=pip3 install ansible-core==2.17.*;\n" in exported
    again = envman.work / "portable.ini"
    again.write_text(exported)
    assert envman.run("profile", "validate", "--strict", str(again)).returncode == 0


def test_validate_checks_every_section_of_a_team_file(tmp_path: Path) -> None:
    envman = envman_at(tmp_path)
    team = envman.work / "team.ini"
    team.write_text(INI + "\n[broken]\nclone=old-box\n")
    result = envman.run("profile", "validate", str(team))
    assert result.returncode == ExitCode.PROFILE_SCHEMA, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"ok    {team}#base" and f"ok    {team}#tools" in lines
    assert f"FAIL  {team}#broken" in lines
    assert f"      {team}:13: clone: envman builds environments from profiles" in result.stdout
    rows = envman.json("profile", "validate", str(team).replace(".ini", ".ini#tools"))
    assert [r["target"] for r in rows] == [f"{team}#tools"]


def test_config_image_override_round_trip(tmp_path: Path) -> None:
    envman = envman_at(tmp_path)
    shown = envman.json("config", "show")
    assert shown["image_overrides"] == {
        "docker.io/library/debian:bookworm": "localhost/debian:bookworm"
    }
    envman.run(
        "config", "image-override", "--unset", "docker.io/library/debian:bookworm", check=True
    )
    assert envman.json("config", "show")["image_overrides"] == {}
    bad = envman.run("config", "image-override", "bad image", "x")
    assert bad.returncode == ExitCode.USAGE
    assert json.loads(envman.run("config", "show", "--json").stdout)["image_overrides"] == {}
