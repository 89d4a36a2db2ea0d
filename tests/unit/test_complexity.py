"""No function of envman ranks D or worse by cyclomatic complexity (radon counts `and`/`or`)."""

from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_rank, cc_visit

import envman

ENVMAN = Path(envman.__file__).parent


def test_no_function_ranks_d_or_worse() -> None:
    too_complex = [
        f"{path.relative_to(ENVMAN.parent)}:{block.lineno} {block.fullname} ({block.complexity})"
        for path in sorted(ENVMAN.rglob("*.py"))
        for block in cc_visit(path.read_text(encoding="utf-8"))
        if cc_rank(block.complexity) >= "D"
    ]
    assert too_complex == [], "split these into named helpers"
