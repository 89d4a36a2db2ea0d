"""inotify through watchdog: one non-recursive watch per directory, or on its nearest ancestor."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.inotify_move_event_grouper import InotifyMoveEventGrouper

from envman.errors import BridgeError

EventKind = Literal["closed", "created", "modified", "moved", "deleted"]

# watchdog holds an IN_MOVED_FROM for `delay` (0.5 s) to pair it with its IN_MOVED_TO, and an
# emitter that wakes between the two sleeps that long even once they are paired, stalling every
# later event of that directory. The pair comes in one inotify read, so 20 ms is plenty; without
# this, a write landing within 0.5 s of the bridge's own rename waited up to 0.5 s.
MOVE_PAIRING_SECONDS = 0.02

# Opened/ClosedNoWrite are left out on purpose: the bridge's own reads would wake it up again.
_FILE_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileClosedEvent,
    FileMovedEvent,
    FileDeletedEvent,
]
_DIR_EVENTS: list[type[FileSystemEvent]] = [DirCreatedEvent, DirMovedEvent, DirDeletedEvent]
_KINDS: dict[type[FileSystemEvent], EventKind] = {
    FileClosedEvent: "closed",
    FileCreatedEvent: "created",
    FileModifiedEvent: "modified",
    FileDeletedEvent: "deleted",
}


@dataclass(frozen=True)
class FileEvent:
    """Something happened to NAME in the watched (real) DIRECTORY; `moved_from`: same-dir source."""

    directory: Path
    name: str
    kind: EventKind
    moved_from: str | None = None


@dataclass(frozen=True)
class DirChange:
    """A directory appeared, moved or vanished where we watch: the watch set must be re-armed."""

    path: Path


Sink = Callable[[FileEvent | DirChange], None]


def nearest_existing(target: Path) -> Path:
    """TARGET itself when it is a directory, else its deepest existing ancestor directory."""
    probe = target
    while not probe.is_dir():
        probe = probe.parent
    return probe


class _Handler(FileSystemEventHandler):
    def __init__(self, directory: Path, sink: Sink) -> None:
        self.directory = directory
        self.sink = sink
        # Set when the watched directory itself is deleted: its watch is dead from then on, even
        # if a new directory gets the same path (and maybe the same inode number) at once.
        self.gone = False

    def dispatch(self, event: FileSystemEvent) -> None:
        # Exceptions would kill watchdog's observer thread: the sink only queues, but guard anyway.
        try:
            for item in self._translate(event):
                self.sink(item)
        except Exception:  # a dead observer is worse than a lost event (resync covers it)
            return

    def _translate(self, event: FileSystemEvent) -> list[FileEvent | DirChange]:
        src = Path(os.fsdecode(event.src_path))
        if event.is_directory:
            if isinstance(event, DirDeletedEvent) and src == self.directory:
                self.gone = True
            return [DirChange(src)]
        if isinstance(event, FileMovedEvent):
            dest = Path(os.fsdecode(event.dest_path))
            out: list[FileEvent | DirChange] = []
            same_dir = src.parent == self.directory
            if same_dir:
                out.append(FileEvent(self.directory, src.name, "deleted"))
            if dest.parent == self.directory:
                out.append(
                    FileEvent(self.directory, dest.name, "moved", src.name if same_dir else None)
                )
            return out
        kind = _KINDS.get(type(event))
        return [FileEvent(self.directory, src.name, kind)] if kind else []


def _identity(directory: Path) -> tuple[int, int]:
    try:
        st = directory.stat()
    except OSError:
        return (0, 0)
    return (st.st_dev, st.st_ino)


def _plan(targets: list[Path]) -> tuple[dict[Path, set[Path]], dict[Path, Path]]:
    """Real directory -> targets it holds (files watch); waiting target -> real ancestor."""
    files: dict[Path, set[Path]] = {}
    waiting: dict[Path, Path] = {}
    for target in targets:
        present = nearest_existing(target)
        real = Path(os.path.realpath(present))
        if present == target:
            files.setdefault(real, set()).add(target)
        else:
            waiting[target] = real
    return files, waiting


@dataclass(frozen=True)
class Armed:
    """After arm(): real directory -> the targets it serves as a files watch; waiting targets;
    `fresh`: targets whose watch is new, so files made before it must be looked for."""

    files: dict[Path, frozenset[Path]]
    waiting: dict[Path, Path]
    fresh: frozenset[Path]


class Watcher:
    """Keeps one watchdog observer whose watches follow the targets' existence."""

    def __init__(self, sink: Sink) -> None:
        InotifyMoveEventGrouper.delay = MOVE_PAIRING_SECONDS
        self._sink = sink
        self._observer: BaseObserver = Observer()
        self._watches: dict[tuple[Path, bool], tuple[ObservedWatch, tuple[int, int], _Handler]] = {}

    def start(self) -> None:
        """Start the observer thread (watches can be armed before or after)."""
        self._observer.start()

    def stop(self) -> None:
        """Stop and join every watchdog thread."""
        self._observer.stop()
        self._observer.join()

    def arm(self, targets: Iterable[Path]) -> Armed:
        """Watch each target directory, or its nearest existing ancestor for directory events."""
        wanted_targets = list(targets)
        plan = _plan(wanted_targets)
        fresh: set[Path] = set()
        for _ in range(64):
            fresh |= self._apply(plan)
            # A directory made between planning and watching sent its event to nobody: re-plan
            # until nothing moved (mkdir -p makes several levels at once).
            again = _plan(wanted_targets)
            if again == plan:
                break
            plan = again
        files, waiting = plan
        renewed = {t for d, targets in files.items() if d in fresh for t in targets}
        return Armed({d: frozenset(t) for d, t in files.items()}, waiting, frozenset(renewed))

    def _apply(self, plan: tuple[dict[Path, set[Path]], dict[Path, Path]]) -> set[Path]:
        """Make the watches match PLAN; the directories that got a new files watch."""
        files, waiting = plan
        wanted = {(d, True) for d in files} | {
            (d, False) for d in set(waiting.values()) - set(files)
        }
        # A directory deleted and made again is another directory: its old watch is dead.
        stale = {
            key
            for key, (_, ident, handler) in self._watches.items()
            if handler.gone or _identity(key[0]) != ident
        }
        for key in (set(self._watches) - wanted) | stale:
            self._unschedule(key)
        new = wanted - set(self._watches)
        for key in new:
            self._schedule(key)
        return {d for d, with_files in new if with_files}

    def _schedule(self, key: tuple[Path, bool]) -> None:
        directory, with_files = key
        events = _FILE_EVENTS + _DIR_EVENTS if with_files else _DIR_EVENTS
        try:
            ident = _identity(directory)
            handler = _Handler(directory, self._sink)
            watch = self._observer.schedule(
                handler,
                str(directory),
                recursive=False,
                event_filter=events,
            )
            self._watches[key] = (watch, ident, handler)
        except FileNotFoundError:
            # It vanished between the check and the watch: ask for another round.
            self._sink(DirChange(directory))
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EMFILE):
                raise BridgeError(
                    f"cannot watch {directory}: {exc.strerror}",
                    "raise fs.inotify.max_user_watches / max_user_instances (sysctl), "
                    "or drop rules whose directories you do not use",
                ) from None
            # Unreadable (EACCES...): nothing to bridge there; the resync tries again.

    def _unschedule(self, key: tuple[Path, bool]) -> None:
        watch, _, _ = self._watches.pop(key)
        try:
            self._observer.unschedule(watch)
        except (KeyError, OSError):
            return

    def watched(self) -> list[Path]:
        """The directories with a watch now."""
        return sorted(d for d, _ in self._watches)

    def healthy(self) -> bool:
        """The observer runs and every watch whose directory still exists has a live emitter."""
        if not self._observer.is_alive():
            return False
        return all(e.is_alive() or not Path(e.watch.path).is_dir() for e in self._observer.emitters)
