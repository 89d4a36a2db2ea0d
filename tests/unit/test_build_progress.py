"""Build progress: steps -> phases, the report's events and log files, the CLI's plain views."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from envman.cli.progress import LiveView, PlainView, QuietView, build_view, seconds
from envman.engine.podman_api import _LineBuffer
from envman.engine.types import BuildStep
from envman.errors import ExitCode, WriteFailed
from envman.ops.buildlog import BuildReport, new_log, phase_of, prune_logs
from envman.ops.context import Context
from envman.ops.events import (
    BuildEvent,
    BuildFinished,
    BuildStarted,
    LogLine,
    PhaseFinished,
    PhaseStarted,
    StepFailed,
    StepStarted,
)
from envman.paths import Paths

REPO = Path(__file__).resolve().parent.parent.parent
GOLDEN = REPO / "tests" / "golden" / "render" / "dev.Containerfile"


def phases(instructions: list[str]) -> list[str]:
    current: str | None = None
    found = []
    for instruction in instructions:
        current = phase_of(instruction, current)
        found.append(current)
    return found


def test_the_rendered_containerfile_maps_to_its_phases() -> None:
    text = GOLDEN.read_text().replace(" \\\n", " ")  # one line per instruction
    steps = [line for line in text.splitlines() if not line.startswith("#")]
    assert list(zip(steps, phases(steps), strict=True)) == [
        ("FROM localhost/debian:bookworm", "base"),
        ("USER root", "base"),
        ("ENTRYPOINT []", "base"),
        ('CMD ["/bin/sh"]', "base"),
        ("COPY envman/pkg-install /usr/lib/envman/pkg-install", "essentials"),
        ('RUN ["/bin/sh", "/usr/lib/envman/pkg-install", "--essentials"]', "essentials"),
        ('RUN ["/bin/sh", "-c", "echo early > /early"]', "hooks"),
        ('RUN ["/bin/sh", "/usr/lib/envman/pkg-install", "git", "vim"]', "packages"),
        (steps[8], "hooks"),
        ("COPY envman/hooks/tool.sh /usr/lib/envman/hooks/tool.sh", "hooks"),
        ('RUN ["/usr/lib/envman/hooks/tool.sh", "--with", "two words"]', "hooks"),
        ("ENV LANG=C.UTF-8", "hooks"),
        ("COPY envman/runtime/ /usr/lib/envman/", "finish"),
        (steps[13], "finish"),
    ]
    assert steps[13].startswith("LABEL ")


def test_host_certificates_split_packages_and_labels_have_their_phases() -> None:
    steps = [
        "FROM localhost/debian:bookworm",
        "COPY envman/host-ca/ /usr/lib/envman/host-ca/",
        'RUN ["/bin/sh", "/usr/lib/envman/trust-host-cas"]',
        'RUN ["/bin/sh", "/usr/lib/envman/pkg-install", "--essentials", "--init"]',
        'RUN ["/bin/sh", "/usr/lib/envman/pkg-install", "git"]',
        'RUN ["/bin/sh", "/usr/lib/envman/pkg-install", "vim"]',
        'LABEL envman.hash="abc" envman.managed="1"',
    ]
    assert phases(steps) == [
        "base",
        "certificates",
        "certificates",
        "essentials",
        "packages",
        "packages",
        "finish",
    ]


def test_a_users_own_containerfile_comes_before_envmans_phases() -> None:
    steps = [
        "FROM localhost/debian:bookworm AS build",
        "WORKDIR /src",
        "RUN make",
        "FROM localhost/debian:bookworm",
        "COPY --from=build /src/out /usr/local/bin/",
        "COPY envman/pkg-install /usr/lib/envman/pkg-install",
    ]
    assert phases(steps) == ["base", "base", "containerfile", "base", "containerfile", "essentials"]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def report(tmp_path: Path) -> tuple[BuildReport, list[BuildEvent], Clock, io.StringIO]:
    events: list[BuildEvent] = []
    clock = Clock()
    log = io.StringIO()
    return BuildReport(events.append, tmp_path / "x.log", log, clock), events, clock, log


def test_the_report_times_phases_and_marks_a_phase_from_the_cache(tmp_path: Path) -> None:
    rep, events, clock, log = report(tmp_path)
    rep.step(BuildStep(1, 3, "FROM img"))
    rep.line("STEP 1/3: FROM img")
    clock.now += 1
    rep.step(BuildStep(2, 3, 'RUN ["/bin/sh", "/usr/lib/envman/pkg-install", "--essentials"]'))
    rep.step(BuildStep(2, 3, "...", cached=True))
    clock.now += 2
    rep.step(BuildStep(3, 3, 'RUN ["/bin/sh", "/usr/lib/envman/pkg-install", "git"]'))
    rep.line("Setting up git")
    clock.now += 4
    rep.finished()
    assert [e for e in events if isinstance(e, PhaseStarted | PhaseFinished)] == [
        PhaseStarted("base", 1, 3),
        PhaseFinished("base", 1.0, cached=False),
        PhaseStarted("essentials", 2, 3),
        PhaseFinished("essentials", 2.0, cached=True),
        PhaseStarted("packages", 3, 3),
        PhaseFinished("packages", 4.0, cached=False),
    ]
    assert events[-1] == BuildFinished(
        (("base", 1.0), ("essentials", 2.0), ("packages", 4.0)), 7.0, tmp_path / "x.log"
    )
    assert LogLine("Setting up git") in events
    assert log.getvalue() == "STEP 1/3: FROM img\nSetting up git\n"


def test_a_failure_carries_the_failed_steps_lines_only(tmp_path: Path) -> None:
    rep, events, _, _ = report(tmp_path)
    rep.step(BuildStep(1, 2, "FROM img"))
    rep.line("earlier output")
    rep.step(BuildStep(2, 2, 'RUN ["sh", "-c", "exit 3"]'))
    rep.line("STEP 2/2: RUN ...")
    rep.line("it broke")
    rep.failed()
    assert events[-1] == StepFailed(
        "containerfile",
        'step 2/2: RUN ["sh", "-c", "exit 3"]',
        ("STEP 2/2: RUN ...", "it broke"),
        tmp_path / "x.log",
    )
    assert StepStarted(2, 2, 'RUN ["sh", "-c", "exit 3"]') in events


def test_podman_chunks_become_lines_and_step_boundaries() -> None:
    lines: list[str] = []
    steps: list[BuildStep] = []
    buffer = _LineBuffer(lines.append, steps.append)
    for chunk in ("STEP 1/2: FR", "OM img\nSTEP 2/2: RUN x\n--> Using cache ab", "c\nout", "put"):
        buffer.feed(chunk)
    buffer.flush()
    assert lines == ["STEP 1/2: FROM img", "STEP 2/2: RUN x", "--> Using cache abc", "output"]
    assert steps == [
        BuildStep(1, 2, "FROM img"),
        BuildStep(2, 2, "RUN x"),
        BuildStep(2, 2, "RUN x", cached=True),
    ]


def test_no_free_build_log_name_is_an_envman_error(tmp_path: Path) -> None:
    for _ in range(100):
        new_log(tmp_path, "dev", now=1_800_000_000)
    with pytest.raises(WriteFailed) as caught:
        new_log(tmp_path, "dev", now=1_800_000_000)
    assert caught.value.exit_code == ExitCode.STATE_CORRUPT


def test_build_logs_are_new_files_and_only_the_last_ten_are_kept(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    made = [new_log(logs, "dev", now=1_800_000_000 + i) for i in range(12)]
    same_second = new_log(logs, "dev", now=1_800_000_011)
    assert same_second != made[-1] and same_second.name.endswith("-1.log")
    other = new_log(logs, "dev-2", now=1_800_000_000)  # another environment's, kept
    unrelated = logs / "dev-notes.log"
    unrelated.write_text("mine")
    for age, path in enumerate([*made, same_second]):
        os.utime(path, ns=(age * 10**9, age * 10**9))
    removed = prune_logs(logs, "dev")
    assert removed == made[:3]
    assert sorted(p.name for p in logs.iterdir()) == sorted(
        [p.name for p in made[3:]] + [same_second.name, other.name, unrelated.name]
    )
    assert made[3].stat().st_mode & 0o777 == 0o600


def test_without_an_event_sink_build_lines_still_reach_log(tmp_path: Path) -> None:
    seen: list[str] = []
    ctx = Context(paths=Paths.from_env({"HOME": str(tmp_path)}), log=seen.append)
    ctx.emit(LogLine("hello"))
    ctx.emit(PhaseStarted("base", 1, 2))
    assert seen == ["hello"]


FINISHED = BuildFinished((("base", 0.25), ("packages", 75.0)), 75.25, Path("/s/x.log"))
FAILED = StepFailed("hooks", "step 3/4: RUN x", ("out 1", "bad \x1b[2J"), Path("/s/x.log"))


def test_plain_view_streams_the_log_and_times_phases(capsys: pytest.CaptureFixture[str]) -> None:
    view = PlainView(verbose=False)
    for event in (LogLine("apt says"), PhaseFinished("packages", 75.0, False), FINISHED, FAILED):
        view.event(event)
    assert capsys.readouterr().err.splitlines() == [
        "  | apt says",
        "envman: phase packages: 1 min 15 s",
        "envman: built in 1 min 15 s (base 0.2 s, packages 1 min 15 s)",
        "envman: the build failed in phase hooks, step 3/4: RUN x",
        "envman: full build log: /s/x.log",
    ]


def test_quiet_view_shows_only_a_failure_with_its_step(capsys: pytest.CaptureFixture[str]) -> None:
    view = QuietView()
    view.note("building ...")
    for event in (LogLine("apt says"), FINISHED, FAILED):
        view.event(event)
    assert capsys.readouterr().err.splitlines() == [
        "envman: the build failed in phase hooks, step 3/4: RUN x",
        "  | out 1",
        "  | bad \\x1b[2J",
        "envman: full build log: /s/x.log",
    ]


def test_the_live_frame_has_a_row_per_phase_and_the_steps_last_lines() -> None:
    from rich.console import Console

    view = LiveView()
    view.spinner = "*"
    for event in (
        PhaseStarted("base", 1, 3),
        PhaseFinished("base", 0.5, False),
        PhaseStarted("packages", 2, 3),
        StepStarted(2, 3, "RUN pkg-install git"),
        *(LogLine(f"line {i}") for i in range(9)),
        LogLine("Progress: 10%\rProgress: 90%\rline 9\r"),
    ):
        view.event(event)
    console = Console(file=io.StringIO(), width=60, color_system=None)
    console.print(view)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    rows = text.splitlines()
    assert rows[0].split() == ["✓", "base", "0.5", "s"]
    assert rows[1].split()[:2] == ["*", "packages"] and "step 2/3: RUN pkg-install" in rows[1]
    assert [r.strip() for r in rows[2:]] == [f"│ line {i}" for i in range(4, 10)]


def test_verbose_names_the_log_file_first(capsys: pytest.CaptureFixture[str]) -> None:
    PlainView(verbose=True).event(BuildStarted("dev", Path("/s/dev-1.log")))
    PlainView(verbose=False).event(BuildStarted("dev", Path("/s/dev-2.log")))
    assert capsys.readouterr().err == "envman: build log: /s/dev-1.log\n"


@pytest.mark.parametrize("argv", [["--help"], ["up", "--help"], ["rebuild", "--help"]])
def test_help_does_not_load_rich(argv: list[str]) -> None:
    found = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "envman", *argv],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    imported = [line.rsplit("|", 1)[-1].strip() for line in found.stderr.splitlines()]
    assert "envman.cli" in imported  # the measurement works (`--help` alone loads no typer)
    assert not [m for m in imported if m.split(".")[0] == "rich" or m == "envman.cli.progress"]


def test_views_by_option_and_terminal() -> None:
    assert isinstance(build_view(quiet=False, verbose=False), PlainView)  # pytest: no terminal
    assert isinstance(build_view(quiet=True, verbose=False), QuietView)
    assert isinstance(build_view(quiet=True, verbose=True), PlainView)
    assert seconds(59.94) == "59.9 s" and seconds(3601) == "60 min 01 s"


def test_a_failure_before_any_step_and_without_a_live_frame_is_still_told(
    capsys: pytest.CaptureFixture[str],
) -> None:
    view = LiveView()  # never started drawing: no BuildStarted
    view.event(StepFailed("base", "", ("pull failed",), Path("/s/x.log")))
    assert capsys.readouterr().err.splitlines() == [
        "envman: the build failed in phase base",
        "  | pull failed",
        "envman: full build log: /s/x.log",
    ]


def test_quiet_leaves_out_create_hook_output_and_plain_keeps_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    QuietView().line("hook says")
    PlainView(verbose=False).line("hook says \x07")
    assert capsys.readouterr().err == "  | hook says \\x07\n"
