"""The build request podman gets, and the one retry of a build that lost a cache race."""

from __future__ import annotations

import pytest

from envman.engine.podman_api import PodmanEngine
from envman.engine.service import Endpoint
from envman.engine.types import BuildRequest, ImageInfo
from envman.errors import BuildFailed

REQUEST = BuildRequest(containerfile="FROM img\n", files={}, tag="localhost/envman/x:1")
RACE = (
    "build of localhost/envman/x:1 failed: checking if cached image exists from a previous "
    "build: getting top layer info: layer not known"
)


def engine_failing_with(messages: list[str]) -> tuple[PodmanEngine, list[int]]:
    engine = PodmanEngine(Endpoint("/nonexistent.sock", started=False))
    calls: list[int] = []

    def build_once(request: BuildRequest, on_log: object, on_step: object = None) -> ImageInfo:
        calls.append(1)
        if messages:
            raise BuildFailed(messages.pop(0))
        return ImageInfo(id="abc", tags=(request.tag,), labels={})

    engine._build_once = build_once  # type: ignore[method-assign]
    return engine, calls


def test_a_build_that_lost_the_cache_lookup_race_is_tried_once_more() -> None:
    engine, calls = engine_failing_with([RACE])
    logged: list[str] = []
    assert engine.build(REQUEST, logged.append).id == "abc"
    assert len(calls) == 2 and "building again" in logged[0]


def test_other_build_failures_and_a_third_race_are_not_retried() -> None:
    engine, calls = engine_failing_with(["build of x failed: exit status 1"])
    with pytest.raises(BuildFailed, match="exit status 1"):
        engine.build(REQUEST, lambda _: None)
    assert len(calls) == 1
    engine, calls = engine_failing_with([RACE, RACE, RACE])
    with pytest.raises(BuildFailed, match="layer not known"):
        engine.build(REQUEST, lambda _: None)
    assert len(calls) == 3
