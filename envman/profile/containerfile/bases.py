"""Base images of a Containerfile replaced where podman reads them: in its FROM steps only."""

from __future__ import annotations

import re
from collections.abc import Mapping

from envman.profile.containerfile.instructions import parse_instructions


def replace_bases(text: str, images: Mapping[str, str], file: str) -> str:
    """`text` with each FROM step's image found in `images` replaced by its value.

    The steps come from the Containerfile parser: `--platform=...` and other flags, continuation
    lines and here-document bodies that happen to start with FROM are read as podman reads them.
    Only exact matches are replaced; everything else keeps its bytes.
    """
    if not images:
        return text
    lines = text.split("\n")
    for ins in parse_instructions(text, file):
        image = ins.args.split()[0] if ins.keyword == "FROM" else ""
        if image in images:
            _replace_word(lines, range(ins.line - 1, ins.end_line), image, images[image])
    return "\n".join(lines)


def _replace_word(lines: list[str], where: range, old: str, new: str) -> None:
    """Replace the first whitespace-delimited `old` on the lines `where` (0-based)."""
    word = re.compile(rf"(?<!\S){re.escape(old)}(?!\S)")
    for index in where:
        changed, count = word.subn(lambda _: new, lines[index], count=1)
        if count:
            lines[index] = changed
            return
