"""Where envman reads and writes on the host: XDG directories resolved from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
# A wheel carries profiles/ and hooks/ inside the package; a source checkout has them beside it.
SHIPPED_ROOT = _PACKAGE / "_shipped" if (_PACKAGE / "_shipped").is_dir() else _PACKAGE.parent


@dataclass(frozen=True)
class Paths:
    """The host directories envman uses; built from the environment, swapped in tests."""

    home: Path
    config: Path
    data: Path
    state: Path
    cache: Path
    runtime: Path
    cwd: Path
    shipped: Path

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, cwd: Path | None = None) -> Paths:
        """Resolve the XDG base directories the way the spec says, with envman's subdirectory."""
        env = dict(os.environ) if environ is None else environ
        home = Path(env.get("HOME") or Path("~").expanduser())

        def xdg(var: str, default: Path) -> Path:
            value = Path(env.get(var) or ".")
            return value if value.is_absolute() else default

        runtime = xdg("XDG_RUNTIME_DIR", Path("/run/user") / str(os.getuid()))
        if os.getuid() == 0 and not env.get("XDG_RUNTIME_DIR"):
            runtime = Path("/run")
        return cls(
            home=home,
            config=xdg("XDG_CONFIG_HOME", home / ".config") / "envman",
            data=xdg("XDG_DATA_HOME", home / ".local" / "share") / "envman",
            state=xdg("XDG_STATE_HOME", home / ".local" / "state") / "envman",
            cache=xdg("XDG_CACHE_HOME", home / ".cache") / "envman",
            runtime=runtime / "envman",
            cwd=cwd or Path.cwd(),
            shipped=Path(env.get("ENVMAN_SHIPPED_DIR") or SHIPPED_ROOT),
        )

    @property
    def profile_dirs(self) -> tuple[Path, ...]:
        """The profile lookup order: ./profiles, the user's profiles, the shipped profiles."""
        return (self.cwd / "profiles", self.config / "profiles", self.shipped / "profiles")

    @property
    def hook_dirs(self) -> tuple[Path, ...]:
        """Where `script:` hooks are found after the profile's own directory."""
        return (self.cwd / "hooks", self.config / "hooks", self.shipped / "hooks")

    @property
    def sources_file(self) -> Path:
        """The team sources the user added, in the order they were added."""
        return self.config / "sources.yaml"

    @property
    def sources(self) -> Path:
        """Where team sources keep their git mirrors and materialised trees."""
        return self.data / "sources"

    @property
    def config_file(self) -> Path:
        """The user's envman settings (image overrides)."""
        return self.config / "config.yaml"
