"""Build stages: FROM resolved with the global ARGs, stage chains, and the scopes along them."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from envman.errors import ProfileSyntaxError
from envman.profile import validate as v
from envman.profile.boundary import parse_failures
from envman.profile.containerfile.expansion import LexError, expand_word
from envman.profile.containerfile.instructions import Instruction, parse_instructions
from envman.profile.containerfile.lexer import show
from envman.profile.containerfile.scope import Budget, Scope, apply, apply_arg
from envman.profile.model import FileLine

_STAGE_NAME = r"^[a-z][a-z0-9._-]{0,127}$"


@dataclass(frozen=True)
class Stage:
    """One build stage: its FROM and the instructions up to the next FROM."""

    index: int
    name: str | None
    base: str
    parent: int | None
    line: int
    instructions: tuple[Instruction, ...]


@dataclass(frozen=True)
class Containerfile:
    """A parsed Containerfile: instructions, global ARGs (before the first FROM) and stages."""

    file: str
    instructions: tuple[Instruction, ...]
    global_args: tuple[tuple[str, str | None], ...]
    stages: tuple[Stage, ...]

    @property
    def final(self) -> Stage:
        """The stage `podman build` produces without --target."""
        return self.stages[-1]

    def chain(self, index: int | None = None) -> list[Stage]:
        """The stages a stage builds on, root first, ending with the stage itself."""
        stage = self.stages[-1 if index is None else index]
        chain = [stage]
        while stage.parent is not None:
            stage = self.stages[stage.parent]
            chain.append(stage)
        return chain[::-1]

    @property
    def image(self) -> str:
        """The external base image of the final stage, through `FROM stage` chains."""
        return self.chain()[0].base


def parse_containerfile(text: str, file: str) -> Containerfile:
    """Parse and split into stages; every problem names file:line."""
    instructions = parse_instructions(text, file)
    with parse_failures(file, "a Containerfile"):
        return containerfile_from(instructions, file)


def containerfile_from(instructions: Sequence[Instruction], file: str) -> Containerfile:
    """Group instructions into stages and resolve each FROM (global ARG defaults only)."""
    global_scope = Scope()
    pos = _global_args(instructions, global_scope, file)
    stages: list[Stage] = []
    names: dict[str, tuple[int, int]] = {}
    for group in _stage_groups(instructions[pos:]):
        stages.append(_stage(len(stages), group, global_scope, names, file))
    return Containerfile(file, tuple(instructions), tuple(global_scope.args.items()), tuple(stages))


def _global_args(instructions: Sequence[Instruction], scope: Scope, file: str) -> int:
    """Apply the ARGs before the first FROM to `scope`; the position of that FROM."""
    pos = 0
    while pos < len(instructions) and instructions[pos].keyword != "FROM":
        ins = instructions[pos]
        if ins.keyword != "ARG":
            raise ProfileSyntaxError(
                f"{file}:{ins.line}: {ins.keyword} comes before the first FROM",
                "only ARG may precede FROM",
            )
        apply_arg(ins, scope, {}, file)
        pos += 1
    if pos == len(instructions):
        raise ProfileSyntaxError(
            f"{file}:{instructions[-1].line if instructions else 1}: no FROM instruction",
            "a Containerfile starts with FROM IMAGE (optionally after ARG lines)",
        )
    return pos


def _stage_groups(instructions: Sequence[Instruction]) -> list[list[Instruction]]:
    groups: list[list[Instruction]] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            groups.append([])
        groups[-1].append(ins)
    return groups


def _stage(
    index: int,
    group: list[Instruction],
    global_scope: Scope,
    names: dict[str, tuple[int, int]],
    file: str,
) -> Stage:
    head = group[0]
    parts = head.args.split()
    if len(parts) not in (1, 3) or (len(parts) == 3 and parts[1].lower() != "as"):
        raise ProfileSyntaxError(
            f"{file}:{head.line}: FROM takes IMAGE [AS NAME]", "e.g. FROM fedora:41 AS build"
        )
    name = _stage_name(parts[2], head, names, file) if len(parts) == 3 else None
    base = _resolve_from(parts[0], global_scope, head, file)
    parent = names[base.lower()][0] if base.lower() in names else None
    if parent is None:
        v.check_image(base, FileLine(file, head.line), "FROM")
    if name is not None:
        names[name] = (index, head.line)
    return Stage(index, name, base, parent, head.line, tuple(group))


def _stage_name(word: str, head: Instruction, names: dict[str, tuple[int, int]], file: str) -> str:
    name = word.lower()
    if not re.match(_STAGE_NAME, name):
        raise ProfileSyntaxError(f"{file}:{head.line}: {show(name)} is not a valid stage name")
    if name in names:
        raise ProfileSyntaxError(
            f"{file}:{head.line}: stage name '{name}' is already used on line {names[name][1]}"
        )
    return name


def _resolve_from(word: str, global_scope: Scope, head: Instruction, file: str) -> str:
    missing: list[str] = []
    try:
        base = expand_word(word, global_scope.lookup, head.escape, missing)
    except LexError as exc:
        raise ProfileSyntaxError(f"{file}:{head.line}: FROM: {exc}") from None
    if missing:
        name = missing[0]
        declared = name in global_scope.args
        problem = (
            f"`ARG {name}` has no default value"
            if declared
            else f"no ARG before the first FROM declares {name}"
        )
        raise ProfileSyntaxError(
            f"{file}:{head.line}: FROM {show(word)} cannot be resolved: {problem}",
            f"envman builds without --build-arg: put `ARG {name}=<value>` before the first FROM",
        )
    if not base:
        raise ProfileSyntaxError(f"{file}:{head.line}: FROM {show(word)} expands to nothing")
    return base


def walk(cf: Containerfile) -> Iterator[tuple[Stage, Instruction, Scope]]:
    """Every instruction of every stage with the Scope in force just before it.

    A stage built on another starts from that stage's ENV, labels and workdir (not its
    ARGs). The Scope is updated in place after each step, so use it before resuming.
    """
    ends: list[Scope] = []
    global_args = dict(cf.global_args)
    budget = Budget()
    for stage in cf.stages:
        scope = Scope(budget=budget)
        if stage.parent is not None:
            before = ends[stage.parent]
            scope = Scope({}, dict(before.env), dict(before.labels), before.workdir, budget)
        for ins in stage.instructions:
            yield stage, ins, scope
            apply(ins, scope, global_args, cf.file)
        ends.append(scope)


def end_scope(cf: Containerfile, index: int = -1) -> Scope:
    """The Scope at the end of a stage (the final one by default): its labels, ENV, workdir."""
    target = cf.stages[index].index
    last = Scope()
    for stage, _, scope in walk(cf):
        if stage.index == target:
            last = scope
    return last
