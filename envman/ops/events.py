"""What a build tells the CLI while it runs: plain data, no printing (the CLI renders it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BuildStarted:
    """A build of environment `name` starts; its whole log goes to `log_path`."""

    name: str
    log_path: Path


@dataclass(frozen=True)
class PhaseStarted:
    """A phase (base, packages, hooks, ...) starts with step `step` of `total`."""

    phase: str
    step: int
    total: int


@dataclass(frozen=True)
class StepStarted:
    """Step `step` of `total` of the running phase starts."""

    step: int
    total: int
    instruction: str


@dataclass(frozen=True)
class PhaseFinished:
    """A phase is done: its time, and whether all its steps came from the layer cache."""

    phase: str
    seconds: float
    cached: bool


@dataclass(frozen=True)
class LogLine:
    """One line of build output, as the engine printed it (not escaped yet)."""

    text: str


@dataclass(frozen=True)
class StepFailed:
    """The build failed in `phase` at `instruction`: that step's output and where the rest is."""

    phase: str
    instruction: str
    lines: tuple[str, ...]
    log_path: Path


@dataclass(frozen=True)
class BuildFinished:
    """The build succeeded: the time of each phase, in order, and in all."""

    phases: tuple[tuple[str, float], ...]
    seconds: float
    log_path: Path


BuildEvent = (
    BuildStarted | PhaseStarted | StepStarted | PhaseFinished | LogLine | StepFailed | BuildFinished
)
EventSink = Callable[[BuildEvent], None]
