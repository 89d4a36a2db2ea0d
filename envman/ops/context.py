"""What every operation gets: paths, settings, ways to report notes and builds, the engine."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from envman.host.writer_locks import DEFAULT_WAIT
from envman.paths import Paths

if TYPE_CHECKING:  # imported where used: `envman ls` needs neither yaml nor the host facts
    from envman.engine.types import Engine
    from envman.host.config import Config
    from envman.host.facts import HostFacts
    from envman.ops.events import BuildEvent, EventSink

Notify = Callable[[str], None]


def _ignore(_: str) -> None:
    return None


@dataclass
class Context:
    """Built once per command by the CLI (or a test) and passed to operations."""

    paths: Paths
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    notify: Notify = _ignore
    log: Notify = _ignore
    events: EventSink | None = None  # build progress for the CLI to draw; None: lines to `log`
    wait: float | None = DEFAULT_WAIT  # for another envman changing the same thing (None: for ever)
    _engine: Engine | None = None
    _config: Config | None = None
    _facts: HostFacts | None = None

    def engine(self) -> Engine:
        """Connect to podman on first use (podman-py is only imported here, lazily)."""
        if self._engine is None:
            from envman.engine import service
            from envman.engine.podman_api import PodmanEngine

            endpoint = service.connect(self.paths, self.environ)
            if endpoint.started and self._first_notice("private-service"):
                self.notify(
                    f"started a private podman API service on {endpoint.path} (it exits after "
                    f"{service.IDLE_SECONDS // 60} idle minutes); `systemctl --user enable --now "
                    "podman.socket` makes this unnecessary (said once; `envman doctor` repeats it)"
                )
            self._engine = PodmanEngine(endpoint)
        return self._engine

    def _first_notice(self, key: str) -> bool:
        """True the first time for this user: a notice repeated every idle restart is noise."""
        marker = self.paths.state / "notices" / key
        if marker.exists():
            return False
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass  # an unwritable state dir only means the notice comes again
        return True

    def emit(self, event: BuildEvent) -> None:
        """Hand a build event to the CLI's sink (without one, build output goes to `log`)."""
        from envman.ops.events import LogLine

        if self.events is not None:
            self.events(event)
        elif isinstance(event, LogLine):
            self.log(event.text)

    @property
    def config(self) -> Config:
        """The user's settings file, read once."""
        if self._config is None:
            from envman.host.config import load_config

            self._config = load_config(self.paths.config_file)
        return self._config

    @property
    def facts(self) -> HostFacts:
        """The host user and desktop facts, read once."""
        if self._facts is None:
            from envman.host.facts import gather

            self._facts = gather(self.environ)
        return self._facts
