"""A build's progress: podman's steps grouped into phases, timed, logged to a file, told as events.

The whole log goes to $XDG_STATE_HOME/envman/logs/NAME-TIMESTAMP.log (the last KEEP_LOGS of each
environment are kept); the CLI gets events and decides what a person sees.
"""

from __future__ import annotations

import os
import re
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

from envman.engine.types import BuildRequest, BuildStep, Engine, ImageInfo
from envman.errors import EnvmanError, WriteFailed
from envman.ops.events import (
    BuildFinished,
    BuildStarted,
    EventSink,
    LogLine,
    PhaseFinished,
    PhaseStarted,
    StepFailed,
    StepStarted,
)
from envman.render.containerfile import LIB

if TYPE_CHECKING:
    from envman.ops.context import Context

KEEP_LOGS = 10
STEP_LINES = 5000  # of the running step, kept to show when it fails (the file has them all)
PKG_INSTALL = f"{LIB}/pkg-install"
_FINISH = ("ENTRYPOINT", "CMD", "LABEL", "HEALTHCHECK", "STOPSIGNAL")
_USER_STEPS = ("RUN", "COPY", "ADD")


def phase_of(instruction: str, current: str | None) -> str:
    """The phase a step of envman's Containerfile belongs to (`current`: the one before it).

    Read from the instruction text envman renders: the pkg-install and trust-host-cas helpers,
    the hooks and runtime files it copies. Steps that only set something (USER, ENV, WORKDIR, ...)
    stay in the phase before them.
    """
    keyword, _, rest = instruction.strip().partition(" ")
    keyword = keyword.upper()
    if keyword in ("ENTRYPOINT", "CMD") and current == "base":  # set right after FROM
        return "base"
    own = _envman_phase(keyword, rest)
    if own is not None:
        return own
    if current in (None, "base", "containerfile"):  # before envman's steps: the user's own
        return "containerfile" if keyword in _USER_STEPS else current or "base"
    return "hooks" if keyword == "RUN" or "envman/hooks/" in rest else current


def _envman_phase(keyword: str, rest: str) -> str | None:
    if keyword == "FROM":
        return "base"
    if "trust-host-cas" in rest or "envman/host-ca/" in rest:
        return "certificates"
    if PKG_INSTALL in rest:
        return "essentials" if keyword != "RUN" or "--essentials" in rest else "packages"
    if keyword in _FINISH or "envman/runtime/" in rest or "envman-start.service" in rest:
        return "finish"
    return None


def log_dir(ctx: Context) -> Path:
    """Where build logs are kept."""
    return ctx.paths.state / "logs"


def new_log(directory: Path, name: str, now: float | None = None) -> Path:
    """A new, empty log file for a build of `name` (never an existing one), the user's only."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    for attempt in range(100):
        suffix = f"-{attempt}" if attempt else ""
        path = directory / f"{name}-{stamp}{suffix}.log"
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        return path
    raise WriteFailed(
        f"{directory}: too many build logs of {name} in one second", "run the command again"
    )


def prune_logs(directory: Path, name: str, keep: int = KEEP_LOGS) -> list[Path]:
    """Remove all but the newest `keep` build logs of `name` (only files envman named so)."""
    pattern = re.compile(re.escape(name) + r"-\d{8}T\d{6}Z(-\d+)?\.log")
    logs = [p for p in directory.iterdir() if pattern.fullmatch(p.name) and p.is_file()]
    logs.sort(key=lambda p: (p.stat().st_mtime_ns, p.name))
    old = logs[: max(len(logs) - keep, 0)]
    for path in old:
        path.unlink(missing_ok=True)
    return old


class BuildReport:
    """Receives the engine's lines and step boundaries; writes the log, emits phase events."""

    def __init__(
        self,
        emit: EventSink,
        log_path: Path,
        log: IO[str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.emit = emit
        self.log_path = log_path
        self.log = log
        self.clock = clock
        self.started = clock()
        self.phase: str | None = None
        self.phase_started = self.started
        self.steps = 0  # steps of the phase that build something (all but FROM)
        self.cached = 0  # of those, how many came from the cache
        self.instruction = ""
        self.step_lines: deque[str] = deque(maxlen=STEP_LINES)
        self.timings: list[tuple[str, float]] = []

    def line(self, text: str) -> None:
        """One line of output: to the file, to the running step's lines, to the CLI."""
        self.log.write(text + "\n")
        self.step_lines.append(text)
        self.emit(LogLine(text))

    def step(self, step: BuildStep) -> None:
        """A step starts (maybe a new phase), or came from the cache."""
        if step.cached:
            self.cached += 1
            return
        phase = phase_of(step.instruction, self.phase)
        if phase != self.phase:
            self._finish_phase()
            self.phase, self.phase_started, self.steps, self.cached = phase, self.clock(), 0, 0
            self.emit(PhaseStarted(phase, step.number, step.total))
        self.steps += not step.instruction.upper().startswith("FROM ")
        self.instruction = f"step {step.number}/{step.total}: {step.instruction}"
        self.step_lines.clear()
        self.emit(StepStarted(step.number, step.total, step.instruction))

    def failed(self) -> None:
        """The build stopped: tell which step, with its output."""
        self.log.flush()
        self.emit(
            StepFailed(
                self.phase or "base", self.instruction, tuple(self.step_lines), self.log_path
            )
        )

    def finished(self) -> None:
        """The build succeeded: the last phase ends, and the whole build."""
        self._finish_phase()
        total = self.clock() - self.started
        self.emit(BuildFinished(tuple(self.timings), total, self.log_path))

    def _finish_phase(self) -> None:
        if self.phase is None:
            return
        seconds = self.clock() - self.phase_started
        self.timings.append((self.phase, seconds))
        self.emit(PhaseFinished(self.phase, seconds, self.steps > 0 and self.cached >= self.steps))


def build_reported(ctx: Context, engine: Engine, request: BuildRequest, name: str) -> ImageInfo:
    """Build with the output logged to a file and told to the CLI phase by phase."""
    directory = log_dir(ctx)
    path = new_log(directory, name)
    prune_logs(directory, name)
    with path.open("a", encoding="utf-8", errors="replace", buffering=1) as handle:
        ctx.emit(BuildStarted(name, path))
        report = BuildReport(ctx.emit, path, handle)
        try:
            image = engine.build(request, report.line, report.step)
        except EnvmanError:
            report.failed()
            raise
        report.finished()
        return image
