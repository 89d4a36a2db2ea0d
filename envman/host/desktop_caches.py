"""The desktop's caches of launchers and icons, refreshed where the tools are installed."""

from __future__ import annotations

from pathlib import Path

from envman import runner


def refresh(data_home: Path, *, icons: bool) -> list[str]:
    """Run update-desktop-database and gtk-update-icon-cache; failures become warnings."""
    jobs: list[tuple[str, list[str]]] = []
    if (data_home / "applications").is_dir():
        jobs.append(("update-desktop-database", ["-q", str(data_home / "applications")]))
    hicolor = data_home / "icons" / "hicolor"
    if icons and hicolor.is_dir():
        jobs.append(("gtk-update-icon-cache", ["-q", "-f", "-t", str(hicolor)]))
    warnings = []
    for program, args in jobs:
        path = runner.which(program)
        if path is None:
            continue
        result = runner.run([path, *args])
        if not result.ok:
            warnings.append(f"{program} failed: {(result.stderr or result.stdout).strip()[:200]}")
    return warnings
