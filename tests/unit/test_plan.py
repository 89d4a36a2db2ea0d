"""decide() on plain facts: one row per decision of `up`."""

from __future__ import annotations

import pytest

from envman.ops.plan import OUTCOMES, Existing, Facts, Rollback, Wanted, after_build, decide

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
