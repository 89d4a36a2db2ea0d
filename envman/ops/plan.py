"""What `up` would do, decided from plain facts: named steps with reasons, and the word up reports.

Pure: no engine, no files. `up` gathers the facts, asks `decide`, and executes the steps;
`up --dry-run`, `status` and `profile diff` show the same plan in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from envman.errors import ImageNotPublished

StepKind = Literal["build", "pull", "create", "recreate", "start", "keep"]
Outcome = Literal["created", "up-to-date", "started", "recreated", "rebuilt", "pulled", "kept"]
Lookup = Literal["none", "skipped", "found", "absent", "unreachable"]

# What each outcome means; the README's table says the same.
OUTCOMES: dict[Outcome, str] = {
    "created": "there was no container: the image was built if needed, the container created",
    "up-to-date": "nothing to do: the container runs what the profile says",
    "started": "the container was stopped and is otherwise up to date: started",
    "recreated": "runtime settings changed: a new container from the same image",
    "rebuilt": "the build content changed: a new image, then a new container",
    "pulled": "the build content changed: the team's verified image pulled, then a new container",
    "kept": "rolled back, and the profile has not changed since: the generation stays",
}


@dataclass(frozen=True)
class Wanted:
    """The profile as `up` would make it now."""

    name: str
    tag: str
    content_hash: str
    key: str  # the rollback key (see `rollback_key`)
    spec_hash: str  # the container spec's hash with the present image ("" without one)
    no_cache: bool = False
    no_build: bool = False  # only a published image will do (`up --no-build`)


@dataclass(frozen=True)
class Published:
    """What the team registry holds for the wanted content hash.

    Looked up only when the image is missing: "none" (no registry for this profile), "skipped"
    (no lookup needed), "found" (`image` is at `digest`), "absent", "unreachable" (`note` why).
    """

    lookup: Lookup = "skipped"
    image: str = ""  # REGISTRY/NAMESPACE/PROFILE:<content hash>
    digest: str = ""
    note: str = ""


@dataclass(frozen=True)
class Existing:
    """The environment's container as it is."""

    running: bool
    spec_hash: str
    image_id: str


@dataclass(frozen=True)
class Rollback:
    """The history's say: which generation runs, the newest one, and what holds a rollback."""

    current: int = 0
    newest: int = 0
    held_against: str = ""


@dataclass(frozen=True)
class Facts:
    """Everything the decision depends on, gathered beforehand."""

    wanted: Wanted
    container: Existing | None
    image_id: str  # the wanted tag's image, "" when absent
    history: Rollback = Rollback()
    reused_layers: int = 0
    rebuilt_layers: tuple[str, ...] = ()
    runtime_changes: tuple[str, ...] = ()
    published: Published = Published()


@dataclass(frozen=True)
class Step:
    """One named step of a plan and why it is there."""

    kind: StepKind
    reason: str


@dataclass(frozen=True)
class Plan:
    """The steps `up` takes, in order, and the word it reports when they are done."""

    name: str
    action: Outcome
    steps: tuple[Step, ...]
    generation: int = 0  # the generation kept (action "kept")
    reused_layers: int = 0
    rebuilt_layers: tuple[str, ...] = ()
    runtime_changes: tuple[str, ...] = field(default=())

    def has(self, kind: StepKind) -> bool:
        """Whether the plan takes this step."""
        return any(step.kind == kind for step in self.steps)


def rollback_key(content_hash: str, spec_hash: str) -> str:
    """What keeps a rollback in place: the profile's content and its spec without an image."""
    return f"{content_hash}:{spec_hash}"


def decide(facts: Facts) -> Plan:
    """The plan for these facts: keep a rollback, else build, create or recreate, start."""
    wanted, container, history = facts.wanted, facts.container, facts.history
    if container is not None and _rollback_holds(history, wanted):
        return _keep(wanted, container, history)
    changed = history.held_against not in ("", wanted.key)
    prefix = _since_rollback(history) if changed else ""
    if wanted.no_cache or not facts.image_id:
        return _build_or_pull(facts, prefix)
    if container is None:
        return Plan(wanted.name, "created", (Step("create", "no container yet"),))
    if container.spec_hash != wanted.spec_hash:
        recreate = Step("recreate", prefix + _recreate_reason(facts, container))
        return Plan(wanted.name, "recreated", (recreate,), runtime_changes=facts.runtime_changes)
    if not container.running:
        return Plan(wanted.name, "started", (Step("start", "the container is stopped"),))
    return Plan(wanted.name, "up-to-date", ())


def _rollback_holds(history: Rollback, wanted: Wanted) -> bool:
    """A rollback stays until the profile changes (or a rebuild without cache is asked for)."""
    return bool(history.held_against) and history.held_against == wanted.key and not wanted.no_cache


def _build_or_pull(facts: Facts, prefix: str) -> Plan:
    """Pull the team's verified image or build it, then create or recreate the container."""
    wanted = facts.wanted
    pull = not wanted.no_cache and facts.published.lookup == "found"
    if not pull and wanted.no_build:
        raise _not_published(facts)
    if pull:
        first = Step("pull", prefix + _pull_reason(facts))
        layers: tuple[int, tuple[str, ...]] = (0, ())
    else:
        first = Step("build", prefix + _build_reason(facts))
        layers = (facts.reused_layers, facts.rebuilt_layers)
    if facts.container is None:
        return Plan(wanted.name, "created", (first, Step("create", "no container yet")), 0, *layers)
    recreate = Step("recreate", "a container of the new image")
    word: Outcome = "pulled" if pull else "rebuilt"
    return Plan(wanted.name, word, (first, recreate), 0, *layers, facts.runtime_changes)


def after_build(plan: Plan, facts: Facts) -> Plan:
    """The plan once the image is built (or pulled), decided again with the new image's id.

    A build that gave back the very image that runs recreates nothing (it only starts it).
    """
    wanted = replace(facts.wanted, no_cache=False, no_build=False)
    built = decide(replace(facts, wanted=wanted, history=Rollback()))
    if built.action in ("created", "recreated"):
        return plan
    builds = tuple(step for step in plan.steps if step.kind in ("build", "pull"))
    return replace(plan, action=built.action, steps=builds + built.steps, runtime_changes=())


def _keep(wanted: Wanted, container: Existing, history: Rollback) -> Plan:
    reason = (
        f"rolled back to generation {history.current}: up keeps it until the profile changes "
        f"(`envman rollback {wanted.name} {history.newest}` goes forward again)"
    )
    steps = [Step("keep", reason)]
    if not container.running:
        steps.append(Step("start", "the container is stopped"))
    return Plan(wanted.name, "kept", tuple(steps), history.current)


def _since_rollback(history: Rollback) -> str:
    return f"the profile changed since the rollback to generation {history.current}: "


def _build_reason(facts: Facts) -> str:
    if facts.wanted.no_cache:
        ends = facts.history.held_against and facts.container is not None
        return "a rebuild without the layer cache was asked for" + (
            f" (it ends the rollback to generation {facts.history.current})" if ends else ""
        )
    if facts.container is None:
        reason = f"no image {facts.wanted.tag} yet"
    else:
        reason = f"the profile's build content changed (no image {facts.wanted.tag} yet)"
    published = facts.published
    if published.lookup == "absent":
        reason += f"; the team registry has no {published.image}"
    elif published.lookup == "unreachable":
        reason += f"; the team registry was not asked ({published.note})"
    return reason


def _pull_reason(facts: Facts) -> str:
    published = facts.published
    missing = f"no image {facts.wanted.tag} yet"
    pinned = f" ({published.note})" if published.note else ""
    return f"{missing}; the team registry has it: {published.image} at {published.digest}{pinned}"


def _not_published(facts: Facts) -> ImageNotPublished:
    """`--no-build` and no published image: say what the lookup found."""
    published, tag = facts.published, facts.wanted.tag
    why = {
        "none": "no team registry is configured for this profile",
        "absent": f"the team registry has no {published.image}",
        "unreachable": f"the team registry could not be asked ({published.note})",
    }.get(published.lookup, "no published image was looked up")
    return ImageNotPublished(
        f"no image {tag} here and --no-build refuses to build it: {why}",
        "wait for CI to publish the image for this content hash, or run up without --no-build",
    )


def _recreate_reason(facts: Facts, container: Existing) -> str:
    if facts.runtime_changes:
        return "runtime settings changed: " + ", ".join(facts.runtime_changes)
    if container.image_id != facts.image_id:
        return f"the container runs another image than {facts.wanted.tag}"
    return "runtime settings changed"
