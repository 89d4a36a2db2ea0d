"""toolbx image requirements: the public API of envman.profile.toolbx (static and image lint)."""

from __future__ import annotations

from envman.profile.toolbx.findings import LEVELS, Finding, Level
from envman.profile.toolbx.image import (
    IMAGE_LINT_SCRIPT,
    image_lint_command,
    lint_image_config,
    parse_image_lint,
)
from envman.profile.toolbx.requirements import REQUIREMENTS, Requirement
from envman.profile.toolbx.static import lint_containerfile

__all__ = [
    "IMAGE_LINT_SCRIPT",
    "LEVELS",
    "REQUIREMENTS",
    "Finding",
    "Level",
    "Requirement",
    "image_lint_command",
    "lint_containerfile",
    "lint_image_config",
    "parse_image_lint",
]
