"""`envman publish` against a real registry: push by content hash and version, cosign signatures,
idempotent re-runs, and clear failures for a bad key or a missing login."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from envman.errors import ExitCode, RegistryAuthFailed
from envman.ops.keys import generate_key, load_public_keys
from envman.registry.client import RegistryClient
from envman.registry.signatures import fetch_attachment
from envman.signing.manifest import signature_tag
from envman.signing.payload import parse_payload
from envman.signing.verify import verify
from tests.integration.envman_cli import (
    BASE_IMAGE,
    ENVMAN,
    Envman,
    make_envman,
    podman,
    unique,
)
from tests.registry.conftest import write_auth_file
from tests.registry.testbed import PASSWORD, USER, TestRegistry

pytestmark = pytest.mark.podman

PASSPHRASE = "publish-test-passphrase"
PROFILE = """\
envman: 1
name: {name}
{version}image: {image}
hooks:
  - run: [sh, -c, "echo published > /etc/team-marker"]
"""


@dataclass
class Team:
    """A team source checkout with two profiles, a signing key, a registry login."""

    envman: Envman
    registry: TestRegistry
    namespace: str
    key: Path
    public: Path
    auth: Path
    versioned: str  # a profile with `version: "1.2.3"`
    plain: str  # a profile without a version

    @property
    def target(self) -> str:
        return f"{self.registry.host}/{self.namespace}"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "REGISTRY_AUTH_FILE": str(self.auth),
            "ENVMAN_KEY_PASSPHRASE": PASSPHRASE,
            **extra,
        }

    def publish(self, *args: str, **extra: str) -> Any:
        result = self.envman.run(
            "publish", *args, "--registry", self.target, "--key", str(self.key), "--json",
            extra_env=self.env(**extra),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def client(self) -> RegistryClient:
        return RegistryClient(self.registry.host, auth_files=[self.auth])

    def writes(self) -> int:
        """Requests that changed the registry so far (from its access log)."""
        return len(self.registry.access_lines('"PUT /v2/')) + len(
            self.registry.access_lines('"POST /v2/')
        )


def write_profile(envman: Envman, name: str, version: str | None) -> None:
    text = PROFILE.format(
        name=name, image=BASE_IMAGE, version=f'version: "{version}"\n' if version else ""
    )
    envman.write_profile(name, text)


@pytest.fixture(scope="module")
def team(
    htpasswd_registry: TestRegistry, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Team]:
    root = tmp_path_factory.mktemp("team")
    envman = make_envman(root)
    versioned, plain = unique("pubv"), unique("pubp")
    write_profile(envman, versioned, "1.2.3")
    write_profile(envman, plain, None)
    pair = generate_key(root / "signing", PASSPHRASE)
    auth = write_auth_file(root / "auth.json", htpasswd_registry.host)
    yield Team(
        envman, htpasswd_registry, unique("team"), Path(pair.private), Path(pair.public), auth,
        versioned, plain,
    )  # fmt: skip
    for name in (versioned, plain):
        listed = podman(
            "images", "--format", "{{.ID}}", "--filter", f"reference=localhost/envman/{name}"
        )
        podman("rmi", "-f", *listed.stdout.split())


@pytest.fixture(scope="module")
def first(team: Team) -> dict[str, Any]:
    """The first `publish --all` of the checkout, by profile name."""
    results = team.publish("--all")
    return {r["profile"]: r for r in results}


def test_publish_all_pushes_both_profiles_by_hash_and_version(
    team: Team, first: dict[str, Any]
) -> None:
    assert set(first) == {team.versioned, team.plain}
    versioned = first[team.versioned]
    assert versioned["built"] and versioned["pushed"] and not versioned["already_published"]
    repo = f"{team.namespace}/{team.versioned}"
    assert versioned["reference"] == f"{team.target}/{team.versioned}:{versioned['content_hash']}"
    assert versioned["version_reference"] == f"{team.target}/{team.versioned}:1.2.3"
    client = team.client()
    assert client.manifest_digest(repo, versioned["content_hash"]) == versioned["digest"]
    assert client.manifest_digest(repo, "1.2.3") == versioned["digest"]
    config = json.loads(
        client.get_blob(
            repo,
            json.loads(client.get_manifest(repo, versioned["digest"]).data)["config"]["digest"],
        )
    )
    assert config["config"]["Labels"]["envman.hash"] == versioned["content_hash"]
    plain = first[team.plain]
    assert plain["version_reference"] is None and plain["signed"] == [plain["reference"]]
    assert set(client.tags(f"{team.namespace}/{team.plain}")) == {
        plain["content_hash"],
        signature_tag(plain["digest"]),
    }


def test_the_signatures_verify_for_the_hash_and_the_version_tag(
    team: Team, first: dict[str, Any]
) -> None:
    versioned = first[team.versioned]
    repo = f"{team.namespace}/{team.versioned}"
    client = team.client()
    image = client.get_manifest(repo, versioned["digest"])
    attachment = fetch_attachment(client, repo, image.digest)
    assert attachment is not None
    keys = load_public_keys([team.public])
    identities = {parse_payload(blob).docker_reference for blob in attachment.blobs.values()}
    assert identities == {versioned["reference"], versioned["version_reference"]}
    for reference in (
        versioned["reference"],
        versioned["version_reference"],
        f"{team.target}/{team.versioned}@{image.digest}",
    ):
        verdict = verify(reference, image.data, attachment, keys)
        assert verdict.accepted, verdict.message
    moved = verify(f"{team.target}/{team.versioned}:latest", image.data, attachment, keys)
    assert not moved.accepted  # signed for its tags only, as cosign and skopeo sign


def test_publishing_again_pushes_and_signs_nothing(team: Team, first: dict[str, Any]) -> None:
    client = team.client()
    repo = f"{team.namespace}/{team.versioned}"
    signatures = client.manifest_digest(repo, signature_tag(first[team.versioned]["digest"]))
    writes = team.writes()

    again = {r["profile"]: r for r in team.publish("--all")}

    assert all(r["already_published"] for r in again.values())
    assert all(not r["built"] and not r["pushed"] and r["signed"] == [] for r in again.values())
    assert again[team.versioned]["digest"] == first[team.versioned]["digest"]
    assert team.writes() == writes
    assert (
        client.manifest_digest(repo, signature_tag(first[team.versioned]["digest"])) == signatures
    )


def test_a_moved_version_tag_is_moved_back_without_a_push(
    team: Team, first: dict[str, Any]
) -> None:
    client = team.client()
    repo = f"{team.namespace}/{team.versioned}"
    # another manifest of this repository (the signature attachment) under the version tag
    attachment = client.get_manifest(repo, signature_tag(first[team.versioned]["digest"]))
    client.put_manifest(repo, "1.2.3", attachment.data, attachment.media_type)
    writes = team.writes()

    (again,) = team.publish(team.versioned)

    assert again["tagged"] and not again["pushed"] and again["signed"] == []
    assert client.manifest_digest(repo, "1.2.3") == first[team.versioned]["digest"]
    assert team.writes() == writes + 1  # the tag's manifest PUT, nothing else


def test_an_unsigned_hash_tag_is_pushed_again_and_signed(
    team: Team, first: dict[str, Any], tmp_path: Path
) -> None:
    other = generate_key(tmp_path / "other", PASSPHRASE)
    result = team.envman.run(
        "publish", team.plain, "--registry", team.target, "--key", other.private, "--json",
        extra_env=team.env(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (again,) = json.loads(result.stdout)
    assert not again["built"] and again["pushed"] and again["signed"] == [again["reference"]]
    assert again["digest"] == first[team.plain]["digest"]  # the same local image
    client = team.client()
    repo = f"{team.namespace}/{team.plain}"
    image = client.get_manifest(repo, again["digest"])
    attachment = fetch_attachment(client, repo, image.digest)
    assert attachment is not None and len(attachment.blobs) == 2  # the first key's kept
    for public in (team.public, Path(other.public)):
        assert verify(
            again["reference"], image.data, attachment, load_public_keys([public])
        ).accepted


def test_a_wrong_passphrase_exits_33_in_one_line(team: Team) -> None:
    result = team.envman.run(
        "publish", team.plain, "--registry", team.target, "--key", str(team.key),
        extra_env=team.env(ENVMAN_KEY_PASSPHRASE="not-it"),
    )  # fmt: skip
    assert result.returncode == ExitCode.KEY_INVALID
    assert result.stderr.startswith(f"envman: error: {team.key}: wrong passphrase")
    assert len(result.stderr.strip().splitlines()) <= 2


def test_no_login_exits_32_naming_the_registry_and_podman_login(team: Team, tmp_path: Path) -> None:
    empty = tmp_path / "auth.json"
    empty.write_text('{"auths": {}}')
    result = team.envman.run(
        "publish", team.plain, "--registry", team.target, "--key", str(team.key),
        extra_env=team.env(REGISTRY_AUTH_FILE=str(empty)),
    )  # fmt: skip
    assert result.returncode == ExitCode.REGISTRY_AUTH_FAILED, result.stderr
    assert team.registry.host in result.stderr
    assert f"podman login {team.registry.host}" in result.stderr


def git(*args: str, cwd: Path) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": "/dev/null",
    }  # fmt: skip
    done = subprocess.run(
        ["git", *args], check=False, cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_a_source_profile_at_a_ref_is_the_same_image(
    team: Team, first: dict[str, Any], tmp_path: Path
) -> None:
    remote = tmp_path / "team.git"
    git("init", "--quiet", "--bare", str(remote), cwd=tmp_path)
    clone = tmp_path / "clone"
    shutil.copytree(team.envman.work / "profiles", clone / "profiles")
    git("init", "--quiet", "-b", "main", cwd=clone)
    git("add", "--all", cwd=clone)
    git("commit", "--quiet", "-m", "profiles", cwd=clone)
    git("tag", "-a", "-m", "v1", "v1", cwd=clone)
    git("push", "--quiet", str(remote), "main", "v1", cwd=clone)
    team.envman.run("source", "add", "teamsrc", str(remote), "--ref", "v1", check=True)

    (again,) = team.publish(f"teamsrc/{team.versioned}@v1")

    assert again["address"] == f"teamsrc/{team.versioned}@v1"
    assert again["already_published"]
    assert again["digest"] == first[team.versioned]["digest"]


def pipeline(kind: str, registry: str) -> dict[Any, Any]:
    out = subprocess.run(
        [ENVMAN, "ci", kind, "--registry", registry], capture_output=True, text=True, check=True
    ).stdout
    data: dict[Any, Any] = yaml.safe_load(out)
    return data


def run_script(team: Team, script: str, shell: str, tmp_path: Path, **extra: str) -> str:
    """A job's script in one shell, as the CI runner runs it, with the CI's variables set."""
    env = {
        **team.envman.env,
        "PATH": f"{Path(ENVMAN).parent}:{os.environ['PATH']}",
        "ENVMAN_REGISTRY_USER": USER,
        "ENVMAN_REGISTRY_PASSWORD": PASSWORD,
        "ENVMAN_KEY_PASSPHRASE": PASSPHRASE,
        "REGISTRY_AUTH_FILE": str(tmp_path / "ci-auth.json"),  # podman login writes it
        **extra,
    }
    done = subprocess.run(
        [shell, "-e", "-c", script], cwd=team.envman.work, env=env,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_published_signed(team: Team, namespace: str) -> None:
    client = team.client()
    keys = load_public_keys([team.public])
    for name in (team.versioned, team.plain):
        repo = f"{namespace}/{name}"
        hash_tags = [t for t in client.tags(repo) if len(t) == 64]
        assert len(hash_tags) == 1, client.tags(repo)
        image = client.get_manifest(repo, hash_tags[0])
        attachment = fetch_attachment(client, repo, image.digest)
        reference = f"{team.registry.host}/{repo}:{hash_tags[0]}"
        assert verify(reference, image.data, attachment, keys).accepted


def test_the_gitlab_jobs_script_lines_validate_and_publish_here(
    team: Team, first: dict[str, Any], tmp_path: Path
) -> None:
    namespace = unique("gitlab")
    data = pipeline("gitlab", "$CI_REGISTRY_IMAGE")
    variables = {"ENVMAN_REGISTRY": f"{team.registry.host}/{namespace}"}
    validate = "\n".join(data["envman-validate"]["script"])
    publish = "\n".join(data["envman-publish"]["script"])

    assert "ok" in run_script(team, validate, "sh", tmp_path, **variables)
    run_script(team, publish, "sh", tmp_path, ENVMAN_SIGNING_KEY=str(team.key), **variables)

    assert json.loads((tmp_path / "ci-auth.json").read_text())["auths"]  # podman login's file
    assert_published_signed(team, namespace)


def test_the_github_publish_step_runs_here(
    team: Team, first: dict[str, Any], tmp_path: Path
) -> None:
    namespace = unique("github")
    data = pipeline("github", f"{team.registry.host}/{namespace}")
    script = data["jobs"]["publish"]["steps"][-1]["run"]
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()

    run_script(
        team, script, "bash", tmp_path,
        ENVMAN_REGISTRY=data["env"]["ENVMAN_REGISTRY"],
        ENVMAN_SIGNING_KEY_PEM=team.key.read_text(),
        RUNNER_TEMP=str(runner_temp),
    )  # fmt: skip

    assert_published_signed(team, namespace)


def test_the_validate_line_fails_on_a_broken_profile(team: Team, tmp_path: Path) -> None:
    validate = "\n".join(pipeline("gitlab", "$CI_REGISTRY_IMAGE")["envman-validate"]["script"])
    broken = team.envman.work / "profiles" / f"{unique('broken')}.yaml"
    broken.write_text("envman: 1\nimage: [not, an, image]\n")
    try:
        env = {**team.envman.env, "PATH": f"{Path(ENVMAN).parent}:{os.environ['PATH']}"}
        done = subprocess.run(
            ["sh", "-e", "-c", validate], cwd=team.envman.work, env=env,
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    finally:
        broken.unlink()
    assert done.returncode != 0
    assert broken.name in done.stdout


def test_a_push_podman_refuses_for_want_of_a_login_exits_32(
    team: Team, first: dict[str, Any]
) -> None:
    from envman.ops.context import Context
    from envman.paths import Paths

    local = f"localhost/envman/{team.plain}:{first[team.plain]['content_hash'][:12]}"
    engine = Context(Paths.from_env(team.envman.env)).engine()
    destination = f"{team.target}/{unique('nologin')}:x"
    with pytest.raises(RegistryAuthFailed) as caught:
        engine.push(local, destination, None)
    assert f"podman login {team.registry.host}" in str(caught.value.hint)
