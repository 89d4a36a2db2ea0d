"""The bridge daemon: inotify events debounced into reconciles, rule reloads, resyncs, sd_notify."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from envman.bridge.fsops import is_temp_name
from envman.bridge.notify import sd_notify
from envman.bridge.reconcile import BridgeEnv, Reconciler, RuleVerdict
from envman.bridge.rules import RuleSet
from envman.bridge.watcher import DirChange, FileEvent, Watcher
from envman.errors import BridgeError

log = logging.getLogger("envman.bridge")

SETTLE = 0.2  # quiet time after Created/Modified: the writer may still be writing
MAX_WAIT = 2.0  # a writer that keeps its file open this long is reconciled anyway
RESYNC = 300.0  # full reconcile + health check: covers inotify overflow and lost events
FIGHT_WRITES, FIGHT_WINDOW, FIGHT_DELAY = 10, 30.0, 1.0
WRITE_STATUSES = ("rewrite", "mirror", "remove")


@dataclass
class _Pending:
    due: float
    first: float
    writing: bool = False


@dataclass
class Bridge:
    """Watches the rules' directories and keeps their files bridged until stop()."""

    load: Callable[[], RuleSet]
    env: BridgeEnv
    reload_dirs: Sequence[Path] = ()
    on_action: Callable[[RuleVerdict], None] = lambda _: None
    settle: float = SETTLE
    resync: float = RESYNC
    writes: int = 0
    failed: threading.Event = field(default_factory=threading.Event)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _inbox: list[FileEvent | DirChange | str] = field(default_factory=list)
    _pending: dict[tuple[Path, str], _Pending] = field(default_factory=dict)
    _history: dict[tuple[Path, str], deque[float]] = field(default_factory=dict)
    _warned: dict[tuple[Path, str], float] = field(default_factory=dict)
    _by_real: dict[Path, frozenset[Path]] = field(default_factory=dict)
    _stopping: bool = False
    _thread: threading.Thread | None = None

    def start(self) -> None:
        """Load rules, arm the watches, reconcile everything once, then run the loop in a thread."""
        self.rules = self.load()
        self.reconciler = Reconciler(self.rules, self.env)
        self.watcher = Watcher(self._put)
        self.watcher.start()
        try:
            self._rearm(rescan=False)
            self._report(self.reconciler.everything())
        except BaseException:
            self.watcher.stop()
            raise
        self._next_resync = time.monotonic() + self.resync
        self._thread = threading.Thread(target=self._loop, name="envman-bridge", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop and the watches."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()
        self.watcher.stop()

    def reload(self) -> None:
        """Re-read the rules from the loop thread (SIGHUP, or a rules file changed)."""
        self._put("reload")

    def status(self) -> str:
        """The one-line STATUS= text."""
        dirs = self.rules.dirs()
        watched = len(dirs & {d for targets in self._by_real.values() for d in targets})
        return (
            f"{len(self.rules.rules)} rules, {watched} directories watched, "
            f"{len(dirs) - watched} waiting to exist; {self.writes} writes"
        )

    def _put(self, item: FileEvent | DirChange | str) -> None:
        with self._cond:
            self._inbox.append(item)
            self._cond.notify()

    def _loop(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._stopping and not self._inbox and self._wait() > 0:
                        self._cond.wait(self._wait())
                    if self._stopping:
                        return
                    inbox, self._inbox = self._inbox, []
                self._handle(inbox)
                self._run_due()
        except BridgeError as exc:
            log.error("%s%s; exiting", exc.message, f" (hint: {exc.hint})" if exc.hint else "")
            self.failed.set()
        except Exception:
            log.exception("internal error; exiting so that systemd restarts the bridge")
            self.failed.set()

    def _wait(self) -> float:
        deadlines = [p.due for p in self._pending.values()] + [self._next_resync]
        return min(deadlines) - time.monotonic()

    def _handle(self, inbox: list[FileEvent | DirChange | str]) -> None:
        reload = rearm = False
        for item in inbox:
            if item == "reload" or (isinstance(item, FileEvent) and self._is_rules_file(item)):
                reload = True
            elif isinstance(item, DirChange):
                rearm = True
            elif isinstance(item, FileEvent):
                self._on_file(item)
        if reload:
            self._reload()
        elif rearm:
            self._rearm(rescan=True)

    def _is_rules_file(self, event: FileEvent) -> bool:
        return (
            event.kind in ("closed", "moved", "deleted")
            and event.name.endswith(".yaml")
            and event.directory in {Path(os.path.realpath(d)) for d in self.reload_dirs}
        )

    def _on_file(self, event: FileEvent) -> None:
        if is_temp_name(event.name) or (event.moved_from and is_temp_name(event.moved_from)):
            return  # the bridge's own temp file, or its rename into place
        now = time.monotonic()
        for directory in self._by_real.get(event.directory, ()):
            if not any(
                fnmatchcase(event.name, r.glob) for r in self.rules.rules if r.dir == directory
            ):
                continue
            key = (directory, event.name)
            pending = self._pending.setdefault(key, _Pending(now + self.settle, now))
            if event.kind in ("closed", "moved", "deleted"):
                pending.writing = False
                pending.due = now + self._penalty(key)
            else:
                pending.writing = pending.writing or event.kind == "modified"
                pending.due = now + self.settle

    def _penalty(self, key: tuple[Path, str]) -> float:
        return FIGHT_DELAY if len(self._recent(key, time.monotonic())) >= FIGHT_WRITES else 0.0

    def _recent(self, key: tuple[Path, str], now: float) -> deque[float]:
        """The times of the bridge's writes to KEY within FIGHT_WINDOW."""
        history = self._history.setdefault(key, deque(maxlen=FIGHT_WRITES))
        while history and now - history[0] > FIGHT_WINDOW:
            history.popleft()
        return history

    def _run_due(self) -> None:
        now = time.monotonic()
        for key, pending in list(self._pending.items()):
            if pending.due > now:
                continue
            if pending.writing and now - pending.first < MAX_WAIT:
                pending.due = now + self.settle
                continue
            del self._pending[key]
            self._report(self.reconciler.file(*key))
        if now >= self._next_resync:
            self._next_resync = now + self.resync
            if not self.watcher.healthy():
                raise BridgeError("a watch thread died")
            self._rearm(rescan=False)
            self._report(self.reconciler.everything())

    def _rearm(self, *, rescan: bool) -> None:
        armed = self.watcher.arm(sorted(self.rules.dirs() | {Path(d) for d in self.reload_dirs}))
        self._by_real = dict(armed.files)
        if rescan:
            for directory in sorted(armed.fresh & self.rules.dirs()):
                log.info("watching %s", directory)
                self._report(self.reconciler.directory(directory))
        sd_notify(f"STATUS={self.status()}")

    def _reload(self) -> None:
        try:
            rules = self.load()
        except BridgeError as exc:
            log.error("rules not reloaded, keeping the previous ones: %s", exc.message)
            return
        self.rules, self.reconciler = rules, Reconciler(rules, self.env)
        log.info("rules reloaded: %d rules", len(rules.rules))
        self._rearm(rescan=False)
        self._report(self.reconciler.everything())

    def _report(self, actions: list[RuleVerdict]) -> None:
        wrote = False
        for action in actions:
            if action.done and action.status in WRITE_STATUSES:
                wrote = True
                self.writes += 1
                self._note_write((Path(action.path).parent, Path(action.path).name), action)
                log.info(
                    "%s: %s %s (%s -> %s)",
                    action.rule,
                    action.status,
                    action.path,
                    action.old,
                    action.new,
                )
            elif action.status in ("skipped", "malformed", "changed"):
                log.info("%s: %s %s: %s", action.rule, action.status, action.path, action.detail)
            self.on_action(action)
        if wrote:
            sd_notify(f"STATUS={self.status()}")

    def _note_write(self, key: tuple[Path, str], action: RuleVerdict) -> None:
        now = time.monotonic()
        history = self._recent(key, now)
        history.append(now)
        if (
            len(history) == FIGHT_WRITES
            and now - self._warned.get(key, -FIGHT_WINDOW) >= FIGHT_WINDOW
        ):
            self._warned[key] = now
            log.warning(
                "%s: %s was rewritten %d times in %.0f s: another program keeps undoing it; "
                "slowing down",
                action.rule,
                action.path,
                FIGHT_WRITES,
                FIGHT_WINDOW,
            )


def serve(bridge: Bridge) -> int:
    """Run BRIDGE until SIGTERM/SIGINT (exit 0) or an internal fault (exit 1); SIGHUP reloads."""
    wanted = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1}
    # Blocked before any thread starts, so every thread inherits the mask and sigwait() sees them.
    signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
    sd_notify("STATUS=starting")
    try:
        bridge.start()
    except BridgeError as exc:
        log.error("%s%s", exc.message, f" (hint: {exc.hint})" if exc.hint else "")
        return 1
    except OSError as exc:
        log.error("cannot start watching: %s", exc)
        return 1
    threading.Thread(
        target=_watch_failure, args=(bridge,), daemon=True, name="envman-bridge-health"
    ).start()
    sd_notify(f"READY=1\nSTATUS={bridge.status()}")
    log.info("ready: %s", bridge.status())
    while True:
        signum = signal.sigwait(wanted)
        if signum == signal.SIGHUP:
            bridge.reload()
            continue
        break
    sd_notify("STOPPING=1")
    bridge.stop()
    return 1 if bridge.failed.is_set() else 0


def _watch_failure(bridge: Bridge) -> None:
    bridge.failed.wait()
    os.kill(os.getpid(), signal.SIGUSR1)
