"""toolbx-style Containerfiles as profiles: the public API of envman.profile.containerfile."""

from __future__ import annotations

from envman.profile.containerfile.context import OUTSIDE_HINT, context_files
from envman.profile.containerfile.expansion import Lookup, expand_word
from envman.profile.containerfile.ignore import IGNORE_FILES
from envman.profile.containerfile.instructions import INSTRUCTIONS, Instruction, parse_instructions
from envman.profile.containerfile.lexer import Heredoc
from envman.profile.containerfile.profile import (
    DESCRIPTION_LABELS,
    TOOLBOX_LABELS,
    VERSION_LABELS,
    read_containerfile_profile,
)
from envman.profile.containerfile.scope import Scope, container_path, expand, key_values, words
from envman.profile.containerfile.stages import (
    Containerfile,
    Stage,
    containerfile_from,
    end_scope,
    parse_containerfile,
    walk,
)

__all__ = [
    "DESCRIPTION_LABELS",
    "IGNORE_FILES",
    "INSTRUCTIONS",
    "OUTSIDE_HINT",
    "TOOLBOX_LABELS",
    "VERSION_LABELS",
    "Containerfile",
    "Heredoc",
    "Instruction",
    "Lookup",
    "Scope",
    "Stage",
    "container_path",
    "containerfile_from",
    "context_files",
    "end_scope",
    "expand",
    "expand_word",
    "key_values",
    "parse_containerfile",
    "parse_instructions",
    "read_containerfile_profile",
    "walk",
    "words",
]
