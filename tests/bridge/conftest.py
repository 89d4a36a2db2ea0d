"""Path-bridge fixtures: an isolated home, the flatpak/systemd gate, a bridge running in-process."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from envman.bridge.daemon import Bridge
from envman.bridge.reconcile import RuleVerdict
from envman.ops import bridge as ops
from envman.ops.context import Context
from envman.paths import Paths

DATA = Path(__file__).parent / "data"
REQUIRED = os.environ.get("ENVMAN_REQUIRE_PODMAN") == "1"


def need(ok: bool, what: str) -> None:
    """Skip without WHAT; fail instead when CI requires every real-system test to run."""
    if ok:
        return
    if REQUIRED:
        pytest.fail(f"{what} is required here (ENVMAN_REQUIRE_PODMAN=1) but is not available")
    pytest.skip(f"{what} is not available")


def have(*programs: str) -> bool:
    """Whether every program is on PATH (or an existing absolute path)."""
    return all(shutil.which(p) or Path(p).is_file() for p in programs)


@pytest.fixture(scope="session")
def flatpak_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The offline-built Flatpak repo (tests/bridge/flatpak_apps.py), built once per session."""
    from tests.bridge import flatpak_apps

    need(
        flatpak_apps.available(),
        "flatpak, bubblewrap, dbus-daemon, flatpak-spawn (flatpak-xdg-utils), busybox",
    )
    return flatpak_apps.build_repo(tmp_path_factory.mktemp("flatpak-build"))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh HOME with default XDG directories (nothing of the real user's is read)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in (
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
        "XDG_CACHE_HOME",
        "FLATPAK_USER_DIR",
        "NOTIFY_SOCKET",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return home


def context() -> Context:
    """An operation context from the (monkeypatched) environment."""
    return Context(paths=Paths.from_env())


def write_rules(home: Path, text: str) -> Path:
    """~/.config/envman/bridge.yaml."""
    path = home / ".config" / "envman" / "bridge.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def manifest(name: str, path: str | None = None) -> str:
    """A manifest from tests/bridge/data, optionally with another `path` value."""
    text = (DATA / name).read_text(encoding="utf-8")
    if path is not None:
        import json

        doc = json.loads(text)
        text = text.replace(json.dumps(doc["path"]), json.dumps(path))
    return text


def wait_until(check: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    """Poll CHECK every 10 ms until it holds; fail after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


@dataclass
class Running:
    """A bridge running in this process, with every action it reported."""

    bridge: Bridge
    actions: list[RuleVerdict] = field(default_factory=list)

    def writes(self, path: Path | None = None) -> list[RuleVerdict]:
        """The writes done so far (to PATH only, when given)."""
        return [
            a
            for a in self.actions
            if a.done
            and a.status in ("rewrite", "mirror", "remove")
            and (path is None or a.path == str(path))
        ]

    def settle(self, quiet: float = 0.6, timeout: float = 10.0) -> int:
        """Wait until no write happened for QUIET seconds; the number of writes so far."""
        deadline = time.monotonic() + timeout
        count, since = len(self.writes()), time.monotonic()
        while time.monotonic() - since < quiet:
            time.sleep(0.02)
            if len(self.writes()) != count:
                count, since = len(self.writes()), time.monotonic()
            if time.monotonic() > deadline:
                pytest.fail("the bridge kept writing")
        return count


@pytest.fixture
def start_bridge(home: Path) -> Iterator[Callable[..., Running]]:
    """Start a bridge on the rules in ~/.config/envman/bridge.yaml; stopped after the test."""
    started: list[Running] = []

    def start(**options: float) -> Running:
        ctx = context()
        running = Running(
            Bridge(
                load=lambda: ops.load(ctx),
                env=ops.bridge_env(ctx.paths),
                reload_dirs=(ctx.paths.config,),
                **options,
            )
        )  # type: ignore[arg-type]
        running.bridge.on_action = running.actions.append
        running.bridge.start()
        started.append(running)
        return running

    yield start
    for running in started:
        running.bridge.stop()


def release_fifo(path: Path) -> None:
    """Give a reader blocked on the FIFO at PATH its end of file (a writer opens and closes)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        return  # nobody is waiting on it


def without_hanging(call: Callable[[], Any], fifo: Path, guard: float = 10.0) -> Any:
    """CALL's result or exception; a test failure (not a hung test run) if CALL blocks on FIFO.

    GUARD only bounds a hang: the calls this wraps return in milliseconds or never."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(("value", call()))
        except BaseException as exc:
            outcome.append(("error", exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(guard)
    if thread.is_alive():
        release_fifo(fifo)
        thread.join()
        pytest.fail(f"blocked reading the FIFO {fifo}")
    kind, value = outcome[0]
    if kind == "error":
        raise value
    return value
