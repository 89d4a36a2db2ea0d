"""How a build looks: a live view of its phases on a terminal, the full log elsewhere, or quiet.

rich is imported only when a live view starts drawing (a build on a terminal): `envman --help`,
`run` and `enter` never load it.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from envman.cli.output import log_line, note, printable
from envman.ops.events import (
    BuildEvent,
    BuildFinished,
    BuildStarted,
    LogLine,
    PhaseFinished,
    PhaseStarted,
    StepFailed,
    StepStarted,
)

TAIL_LINES = 6


class View(Protocol):
    """What the `up` and `rebuild` commands hand to the operations."""

    def event(self, event: BuildEvent) -> None: ...
    def note(self, text: str) -> None: ...
    def line(self, text: str) -> None: ...
    def close(self) -> None: ...


def seconds(value: float) -> str:
    """A duration for people: `4.2 s`, `3 min 07 s`."""
    if value < 60:
        return f"{value:.1f} s"
    minutes, rest = divmod(int(value), 60)
    return f"{minutes} min {rest:02d} s"


def summary(done: BuildFinished, *, phases: bool) -> str:
    """The last line of a build: its time in all (and each phase's)."""
    text = f"built in {seconds(done.seconds)}"
    if phases and done.phases:
        text += " (" + ", ".join(f"{p} {seconds(s)}" for p, s in done.phases) + ")"
    return text


def failure_lines(failed: StepFailed, *, with_output: bool) -> list[str]:
    """What a failed build leaves on screen: where it failed, that step's output, the log."""
    where = f", {printable(failed.instruction)}" if failed.instruction else ""
    lines = [f"envman: the build failed in phase {failed.phase}{where}"]
    if with_output:
        lines.extend(f"  | {printable(line)}" for line in failed.lines)
    lines.append(f"envman: full build log: {printable(str(failed.log_path))}")
    return lines


class PlainView:
    """The full log, line by line, with each phase's time: for pipes, files, and `-v`."""

    def __init__(self, *, verbose: bool) -> None:
        self.verbose = verbose

    def event(self, event: BuildEvent) -> None:
        """Print what the event says, as plain lines on stderr."""
        if isinstance(event, LogLine):
            log_line(event.text)
        elif isinstance(event, BuildStarted) and self.verbose:
            note(f"build log: {event.log_path}")
        elif isinstance(event, PhaseFinished):
            note(f"phase {event.phase}: {seconds(event.seconds)}{_cached(event)}")
        elif isinstance(event, BuildFinished):
            note(summary(event, phases=True))
        elif isinstance(event, StepFailed):
            sys.stderr.write("\n".join(failure_lines(event, with_output=False)) + "\n")

    def note(self, text: str) -> None:
        """A note, as ever."""
        note(text)

    def line(self, text: str) -> None:
        """Output of a command envman ran (a create hook), as ever."""
        log_line(text)

    def close(self) -> None:
        """Nothing to tidy up."""


class QuietView:
    """Nothing but a failure (where, that step's output, the log): `-q` wants the result only."""

    def event(self, event: BuildEvent) -> None:
        """Only a failed step is shown."""
        if isinstance(event, StepFailed):
            sys.stderr.write("\n".join(failure_lines(event, with_output=True)) + "\n")

    def note(self, text: str) -> None:
        """Notes are left out."""

    def line(self, text: str) -> None:
        """So is what create hooks print (a failing one is an error, with its status)."""

    def close(self) -> None:
        """Nothing to tidy up."""


@dataclass
class _Phase:
    name: str
    started: float
    took: float | None = None
    cached: bool = False
    failed: bool = False


class LiveView:
    """One line per phase with its time, a spinner on the running one and the last lines of
    its step, redrawn in place; a failure leaves that step's whole output on screen."""

    def __init__(self) -> None:
        import threading

        self.lock = threading.Lock()
        self.phases: list[_Phase] = []
        self.step = ""
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self.live: Any = None
        self.spinner: Any = None

    def event(self, event: BuildEvent) -> None:
        """Update the view (the drawing thread picks the change up)."""
        if isinstance(event, BuildStarted):
            self._start()
            return
        if isinstance(event, StepFailed | BuildFinished):
            self._end(event)
            return
        with self.lock:
            self._update(event)

    def _update(self, event: BuildEvent) -> None:
        if isinstance(event, LogLine):
            self.tail.append(_as_shown(event.text))
        elif isinstance(event, PhaseStarted):
            self.phases.append(_Phase(event.phase, time.monotonic()))
        elif isinstance(event, StepStarted):
            self.step = f"step {event.step}/{event.total}: {event.instruction}"
            self.tail.clear()
        elif isinstance(event, PhaseFinished) and self.phases:
            self.phases[-1].took, self.phases[-1].cached = event.seconds, event.cached

    def note(self, text: str) -> None:
        """A note, above the live view while it draws."""
        if self.live is None:
            note(text)
            return
        from rich.text import Text

        self.live.console.print(Text(f"envman: {printable(text)}"))

    def line(self, text: str) -> None:
        """Output of a command envman ran after the build (a create hook), as plain lines."""
        log_line(text)

    def close(self) -> None:
        """Stop drawing (the last frame stays)."""
        if self.live is not None:
            self.live.stop()
            self.live = None

    def _start(self) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.spinner import Spinner

        console = Console(stderr=True, highlight=False)
        self.spinner = Spinner("dots", style="cyan")
        self.live = Live(self, console=console, refresh_per_second=8, transient=False)
        self.live.start()

    def _end(self, event: StepFailed | BuildFinished) -> None:
        with self.lock:
            self.step, self.tail = "", deque(maxlen=TAIL_LINES)
            if isinstance(event, StepFailed) and self.phases:
                self.phases[-1].took = time.monotonic() - self.phases[-1].started
                self.phases[-1].failed = True
        if self.live is not None:
            self.live.refresh()  # the last frame, with every phase's time, stays on screen
            self.close()
        if isinstance(event, BuildFinished):
            note(summary(event, phases=False))
        else:
            sys.stderr.write("\n".join(failure_lines(event, with_output=True)) + "\n")

    def __rich__(self) -> Any:
        """The current frame: a row per phase, then the running step's last lines."""
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=1)
        grid.add_column(min_width=13)
        grid.add_column(justify="right", min_width=8)
        grid.add_column(no_wrap=True, overflow="ellipsis")
        now = time.monotonic()
        with self.lock:
            for phase in self.phases:
                grid.add_row(*self._row(phase, now))
            tail = [
                Text(f"  │ {printable(line)}", style="dim", no_wrap=True, overflow="ellipsis")
                for line in self.tail
            ]
        return Group(grid, *tail)

    def _row(self, phase: _Phase, now: float) -> tuple[Any, str, str, Any]:
        from rich.text import Text

        if phase.took is None:
            step = Text(printable(self.step), style="dim", no_wrap=True, overflow="ellipsis")
            return self.spinner, phase.name, seconds(now - phase.started), step
        mark = Text("✗", style="bold red") if phase.failed else Text("✓", style="green")
        return mark, phase.name, seconds(phase.took), "(cached)" if phase.cached else ""


def _as_shown(line: str) -> str:
    """A line with carriage returns as a terminal leaves it: the last text written over it."""
    parts = [part for part in line.split("\r") if part]
    return parts[-1] if parts else ""


def _cached(event: PhaseFinished) -> str:
    return " (cached)" if event.cached else ""


def on_terminal() -> bool:
    """Whether build progress goes to a terminal that can redraw lines."""
    term = os.environ.get("TERM", "")
    return sys.stderr.isatty() and term not in ("", "dumb")


def build_view(*, quiet: bool, verbose: bool) -> View:
    """The view `-q`, `-v` and the terminal ask for (`-v` wins: it asks for more)."""
    if verbose:
        return PlainView(verbose=True)
    if quiet:
        return QuietView()
    return LiveView() if on_terminal() else PlainView(verbose=False)
