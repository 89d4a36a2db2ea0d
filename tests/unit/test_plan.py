"""decide() on plain facts: one row per decision of `up`."""

from __future__ import annotations

from dataclasses import replace

import pytest

from envman.errors import ExitCode, ImageNotPublished
from envman.ops.plan import (
    OUTCOMES,
    Existing,
    Facts,
    Published,
    Rollback,
    Wanted,
    after_build,
    decide,
)
from envman.ops.team_images import pinned_by_lock

KEY = "content:spec"
WANTED = Wanted("box", "localhost/envman/box:c", "c", KEY, "spec-new")
SAME = Existing(running=True, spec_hash="spec-new", image_id="img")
OLD = Existing(running=True, spec_hash="spec-old", image_id="img-old")
STOPPED = Existing(running=False, spec_hash="spec-new", image_id="img")
HELD = Rollback(current=1, newest=2, held_against=KEY)
MOVED_ON = Rollback(current=1, newest=2, held_against="other:key")

REBUILD = ["build", "recreate"]
ROWS = [
    ("no container, no image", Facts(WANTED, None, ""), "created", ["build", "create"]),
    ("no container, image", Facts(WANTED, None, "img"), "created", ["create"]),
    ("same spec, running", Facts(WANTED, SAME, "img"), "up-to-date", []),
    ("same spec, stopped", Facts(WANTED, STOPPED, "img"), "started", ["start"]),
    ("spec changed", Facts(WANTED, OLD, "img"), "recreated", ["recreate"]),
    ("content changed", Facts(WANTED, OLD, ""), "rebuilt", ["build", "recreate"]),
    ("rolled back, same profile", Facts(WANTED, OLD, "img", HELD), "kept", ["keep"]),
    (
        "rolled back, stopped",
        Facts(WANTED, Existing(False, "spec-old", "img-old"), "img", HELD),
        "kept",
        ["keep", "start"],
    ),
    ("rolled back, spec changed", Facts(WANTED, OLD, "img", MOVED_ON), "recreated", ["recreate"]),
    ("rolled back, new content", Facts(WANTED, OLD, "", MOVED_ON), "rebuilt", REBUILD),
    (
        "no cache",
        Facts(Wanted("box", "t", "c", KEY, "spec-new", no_cache=True), SAME, "img"),
        "rebuilt",
        ["build", "recreate"],
    ),
    (
        "no cache, rolled back",
        Facts(Wanted("box", "t", "c", KEY, "spec-new", no_cache=True), OLD, "img", HELD),
        "rebuilt",
        ["build", "recreate"],
    ),
]


@pytest.mark.parametrize(
    ("facts", "action", "steps"), [r[1:] for r in ROWS], ids=[str(r[0]) for r in ROWS]
)
def test_decide(facts: Facts, action: str, steps: list[str]) -> None:
    plan = decide(facts)
    assert (plan.action, [s.kind for s in plan.steps]) == (action, steps)
    assert all(step.reason for step in plan.steps)
    assert plan.action in OUTCOMES


def test_a_build_that_makes_the_running_image_again_recreates_nothing() -> None:
    facts = Facts(WANTED, SAME, "")
    plan = decide(facts)
    assert plan.action == "rebuilt"
    done = after_build(plan, Facts(WANTED, SAME, "img"))
    assert (done.action, [s.kind for s in done.steps]) == ("up-to-date", ["build"])


def test_a_build_then_a_new_spec_is_a_rebuild() -> None:
    done = after_build(decide(Facts(WANTED, OLD, "")), Facts(WANTED, OLD, "img"))
    assert (done.action, [s.kind for s in done.steps]) == ("rebuilt", ["build", "recreate"])


def _readme_table(heading: str, column: int) -> list[str]:
    """The first column of the tables under a README heading, in order."""
    from pathlib import Path

    text = (Path(__file__).parents[2] / "README.md").read_text()
    section = text.split(f"### {heading}\n", 1)[1].split("\n### ", 1)[0]
    rows = [
        line.split("|")[column].strip() for line in section.splitlines() if line.startswith("| `")
    ]
    return [cell.strip("`") for cell in rows]


def test_the_readme_lists_every_step_and_every_word_of_up() -> None:
    from typing import get_args

    from envman.ops.plan import Outcome, StepKind

    listed = _readme_table("What up does", 1)
    assert listed == [*get_args(StepKind), *get_args(Outcome)]
    assert list(OUTCOMES) == list(get_args(Outcome))


# The team registry: looked up only when the image is missing (gather), decided here.
TEAM_IMAGE = "registry.example.com/team/box:" + "c" * 64
DIGEST = "sha256:" + "d" * 64
FOUND = Published("found", TEAM_IMAGE, DIGEST)
ABSENT = Published("absent", TEAM_IMAGE)
OFFLINE = Published("unreachable", TEAM_IMAGE, note="registry.example.com not reached: timeout")
NO_BUILD = replace(WANTED, no_build=True)


def test_a_published_image_is_pulled_instead_of_built() -> None:
    plan = decide(Facts(WANTED, None, "", published=FOUND))
    assert (plan.action, [s.kind for s in plan.steps]) == ("created", ["pull", "create"])
    assert TEAM_IMAGE in plan.steps[0].reason and DIGEST in plan.steps[0].reason
    changed = decide(Facts(WANTED, OLD, "", published=FOUND))
    assert (changed.action, [s.kind for s in changed.steps]) == ("pulled", ["pull", "recreate"])


def test_a_local_image_is_used_whatever_the_registry_says() -> None:
    plan = decide(Facts(WANTED, SAME, "img", published=FOUND))
    assert (plan.action, plan.steps) == ("up-to-date", ())


def test_nothing_published_builds_and_says_so() -> None:
    plan = decide(Facts(WANTED, None, "", published=ABSENT))
    assert [s.kind for s in plan.steps] == ["build", "create"]
    assert f"the team registry has no {TEAM_IMAGE}" in plan.steps[0].reason


def test_an_unreachable_registry_builds_with_a_note() -> None:
    plan = decide(Facts(WANTED, OLD, "", published=OFFLINE))
    assert (plan.action, [s.kind for s in plan.steps]) == ("rebuilt", ["build", "recreate"])
    assert "not asked (registry.example.com not reached: timeout)" in plan.steps[0].reason


def test_no_cache_builds_even_when_published() -> None:
    facts = Facts(replace(WANTED, no_cache=True), OLD, "img", published=FOUND)
    assert [s.kind for s in decide(facts).steps] == ["build", "recreate"]


@pytest.mark.parametrize(
    ("published", "why"),
    [
        (ABSENT, f"the team registry has no {TEAM_IMAGE}"),
        (OFFLINE, "could not be asked (registry.example.com not reached"),
        (Published("none"), "no team registry is configured"),
    ],
)
def test_no_build_refuses_with_exit_35_when_nothing_is_published(
    published: Published, why: str
) -> None:
    with pytest.raises(ImageNotPublished) as raised:
        decide(Facts(NO_BUILD, None, "", published=published))
    assert raised.value.exit_code == 35 == ExitCode.IMAGE_NOT_PUBLISHED
    assert why in raised.value.message and WANTED.tag in raised.value.message


def test_no_build_pulls_or_keeps_what_is_here() -> None:
    assert decide(Facts(NO_BUILD, None, "", published=FOUND)).has("pull")
    assert decide(Facts(NO_BUILD, SAME, "img")).action == "up-to-date"


def test_a_pull_of_the_running_image_recreates_nothing() -> None:
    plan = decide(Facts(WANTED, SAME, "", published=FOUND))
    done = after_build(plan, Facts(WANTED, SAME, "img"))
    assert (done.action, [s.kind for s in done.steps]) == ("up-to-date", ["pull"])


def test_the_lock_pins_the_digest_of_a_published_image() -> None:
    locked = "registry.example.com/team/box@sha256:" + "f" * 64
    pinned = pinned_by_lock(FOUND, locked)
    assert (pinned.digest, pinned.note) == ("sha256:" + "f" * 64, "pinned by envman.lock")
    assert (
        "pinned by envman.lock" in decide(Facts(WANTED, None, "", published=pinned)).steps[0].reason
    )
    assert pinned_by_lock(ABSENT, locked) == ABSENT  # not published: build, as without a lock
    assert pinned_by_lock(FOUND, "other.example.com/x/box@" + DIGEST) == FOUND
    assert pinned_by_lock(FOUND, "") == FOUND
