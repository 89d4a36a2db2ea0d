"""`envman ci`: the generated pipelines are golden, valid YAML, and say what they run."""

from __future__ import annotations

import pytest
import yaml

from envman.render.ci import CiOptions, _scalar, github, gitlab, publish_lines
from tests.helpers import assert_golden

OPTIONS = CiOptions(
    registry="registry.example.com:5000/team",
    image="quay.io/podman/stable",
    install="dnf -y install python3-pip && python3 -m pip install envman==1.0",
)


def test_gitlab_pipeline_is_golden() -> None:
    assert_golden("ci/gitlab-ci.yml", gitlab(OPTIONS))


def test_github_workflow_is_golden() -> None:
    assert_golden(
        "ci/github-envman.yml",
        github(CiOptions("ghcr.io/team", "", "pipx install envman", "trunk")),
    )


def test_gitlab_validates_merge_requests_and_publishes_main_and_tags() -> None:
    data = yaml.safe_load(gitlab(OPTIONS))
    assert data["variables"]["ENVMAN_REGISTRY"] == OPTIONS.registry
    assert data[".envman"]["before_script"] == [OPTIONS.install]
    validate, publish = data["envman-validate"], data["envman-publish"]
    assert validate["script"] == ["envman profile validate --strict"]
    assert {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'} in validate["rules"]
    assert publish["script"] == list(publish_lines())
    assert publish["rules"] == [
        {"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"},
        {"if": "$CI_COMMIT_TAG"},
    ]


def test_github_publishes_on_pushes_to_the_branch_and_tags_only() -> None:
    data = yaml.safe_load(github(CiOptions("ghcr.io/team", "", "pipx install envman", "trunk")))
    triggers = data[True]  # YAML 1.1 reads the key `on` as true; GitHub reads it as "on"
    assert triggers["push"] == {"branches": ["trunk"], "tags": ["*"]}
    assert "pull_request" in triggers
    publish = data["jobs"]["publish"]
    assert publish["if"] == "github.event_name == 'push'"
    script = publish["steps"][-1]["run"]
    assert script.splitlines()[-1].startswith("envman publish --all --registry")


@pytest.mark.parametrize(
    "text",
    ["main", "1.0", "true", "no", "a: b", "x #y", "'quoted'", "-dash", "* star", "{a}", "%x",
     "$VAR", "sp ace", "trailing ", "@at", "ü", "`tick`", "null", "", "a:b"],
)  # fmt: skip
def test_scalars_read_back_as_the_same_string(text: str) -> None:
    assert yaml.safe_load(f"key: {_scalar(text)}\n") == {"key": text}
