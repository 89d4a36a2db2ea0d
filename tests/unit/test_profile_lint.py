"""`envman profile lint` as an operation: which file is linted, image checks, the summary."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest

from envman.engine.types import ImageInfo
from envman.errors import ProfileNotFound
from envman.ops.context import Context
from envman.ops.lint import RENDERED, LintReport, lint, summarize
from envman.paths import Paths
from envman.profile.toolbx_lint import IMAGE_LINT_SCRIPT, REQUIREMENTS, Finding

REPO = Path(__file__).resolve().parent.parent.parent
DATA = REPO / "tests" / "data" / "containerfile"
DEBIAN = "docker.io/library/debian:bookworm"


class FakeEngine:
    """Just what lint uses: an image lookup and a throwaway run with scripted output."""

    def __init__(self, image: ImageInfo | None, output: str = "") -> None:
        self.found = image
        self.output = output
        self.runs: list[tuple[str, list[str]]] = []

    def image(self, ref: str) -> ImageInfo | None:
        assert ref.startswith("localhost/envman/")
        return self.found

    def run_once(self, image: str, argv: list[str]) -> tuple[int, str]:
        self.runs.append((image, argv))
        return 0, self.output


def context(paths: Paths, engine: FakeEngine | None = None) -> Context:
    return Context(paths, environ={}, _engine=engine)


def write_profile(paths: Paths, name: str, text: str) -> Path:
    path = paths.cwd / "profiles" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def script_output(fails: Mapping[str, str] | None = None) -> str:
    fails = fails or {}
    lines = []
    for key in REQUIREMENTS:
        detail = "ID=debian ID_LIKE= VERSION_ID=12" if key == "os-release" else "fine"
        status = "fail" if key in fails else "ok"
        lines.append(f"{status}\t{key}\t{fails.get(key, detail)}")
    return "\n".join(lines) + "\n"


def image_info(**changes: object) -> ImageInfo:
    fields: dict[str, object] = {
        "id": "abc",
        "tags": (),
        "labels": {"com.github.containers.toolbox": "true"},
        "entrypoint": None,
        "user": "",
    }
    fields.update(changes)
    return ImageInfo(**fields)


def levels(report: LintReport) -> list[tuple[str, str]]:
    return [(f.level, f.id) for f in report.findings]


# --- the summary -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("found", "image_checked", "expected"),
    [
        ((), True, "meets toolbx's requirements"),
        (("info",), True, "meets toolbx's requirements"),
        (("must", "must", "should", "info"), True, "2 MUST, 1 SHOULD unmet"),
        (("should",), True, "1 SHOULD unmet"),
        (("must",), False, "1 MUST unmet (image not checked)"),
        ((), False, "meets toolbx's requirements (image not checked)"),
    ],
)
def test_summary(found: tuple[str, ...], image_checked: bool, expected: str) -> None:
    findings = tuple(Finding(level, "x", "m") for level in found)
    assert summarize(findings, image_checked) == expected
    report = LintReport("dev", findings, image_checked, RENDERED, "localhost/envman/dev:1")
    assert report.summary == expected


# --- which Containerfile is linted ------------------------------------------------------------


@pytest.mark.parametrize(
    "profile",
    ["debian-dev", str(REPO / "profiles" / "ansible.yaml"), str(REPO / "profiles" / "ansible.ini")],
)
def test_envmans_rendered_containerfile_lints_clean(paths: Paths, profile: str) -> None:
    report = lint(context(paths), profile, check_image=False)
    assert report.containerfile == RENDERED
    assert [f for f in report.findings if f.level != "info"] == []
    assert {f.id for f in report.findings} <= {"base-not-toolbx"}
    assert report.image_checked is False


def test_rendered_build_steps_are_linted_with_their_line(paths: Paths) -> None:
    write_profile(
        paths,
        "dev.yaml",
        (
            f"envman: 1\nimage: {DEBIAN}\nbuild:\n  steps:\n    - RUN useradd -m dev\n"
            "    - WORKDIR /home/dev\n"
        ),
    )
    report = lint(context(paths), "dev", check_image=False)
    assert levels(report) == [
        ("must", "home-not-empty"),
        ("should", "home-user-created"),
        ("info", "base-not-toolbx"),
    ]
    assert all(f.origin and f.origin.startswith(f"{RENDERED}:") for f in report.findings)
    assert report.summary == "1 MUST, 1 SHOULD unmet (image not checked)"


def test_a_containerfile_profile_is_linted_as_written(paths: Paths) -> None:
    target = paths.cwd / "profiles" / "bad.Containerfile"
    target.parent.mkdir(parents=True)
    shutil.copy(DATA / "bad-toolbx.Containerfile", target)
    (target.parent / "dotfiles").mkdir()  # its COPY source
    report = lint(context(paths), "bad", check_image=False)
    assert report.containerfile == str(target)
    musts = [(f.id, f.origin) for f in report.findings if f.level == "must"]
    assert ("entrypoint-set", f"{target}:9") in musts
    assert ("user-not-root", f"{target}:8") in musts
    assert any(f.id == "toolbox-label" for f in report.findings)


def test_a_build_containerfile_is_linted_without_what_envman_resets(paths: Paths) -> None:
    base = write_profile(
        paths,
        "base.Containerfile",
        (f'FROM {DEBIAN}\nUSER nobody\nVOLUME /home\nENTRYPOINT ["/bin/false"]\n'),
    )
    write_profile(paths, "dev.yaml", "envman: 1\nbuild:\n  containerfile: base.Containerfile\n")
    report = lint(context(paths), "dev", check_image=False)
    assert report.containerfile == str(base)
    assert [(f.level, f.id, f.origin) for f in report.findings if f.level == "must"] == [
        ("must", "volume-home", f"{base}:3"),
    ]
    assert {f.id for f in report.findings}.isdisjoint(
        {"entrypoint-set", "user-not-root", "toolbox-label"}
    )


def test_an_unknown_profile_is_an_envman_error(paths: Paths) -> None:
    with pytest.raises(ProfileNotFound):
        lint(context(paths), "nothing-here", check_image=False)


# --- the image --------------------------------------------------------------------------------


def test_image_not_built(paths: Paths) -> None:
    engine = FakeEngine(None)
    report = lint(context(paths, engine), "debian-dev")
    assert report.image_checked is False and engine.runs == []
    assert report.summary.endswith("(image not checked)")


def test_image_checks_run_the_script_and_read_the_config(paths: Paths) -> None:
    engine = FakeEngine(
        image_info(entrypoint=("/bin/sh",), user="1000"),
        script_output({"cmd-capsh": "capsh is not an executable on PATH", "vte-sh": "missing"}),
    )
    report = lint(context(paths, engine), "debian-dev")
    assert report.image_checked is True
    assert engine.runs == [(report.image, ["/bin/sh", "-c", IMAGE_LINT_SCRIPT])]
    assert levels(report) == [
        ("must", "entrypoint-set"),
        ("must", "user-not-root"),
        ("must", "cmd-capsh"),
        ("should", "vte-sh"),
    ]
    assert report.summary == "3 MUST, 1 SHOULD unmet"
    assert "['/bin/sh']" in report.findings[0].message


def test_a_problem_found_statically_and_in_the_image_is_reported_once(paths: Paths) -> None:
    cf = write_profile(
        paths,
        "tini.Containerfile",
        ('FROM quay.io/toolbx/ubuntu-toolbox:24.04\nENTRYPOINT ["/usr/bin/tini"]\n'),
    )
    engine = FakeEngine(image_info(entrypoint=("/usr/bin/tini",)), script_output())
    report = lint(context(paths, engine), "tini")
    assert [(f.level, f.id, f.origin) for f in report.findings] == [
        ("must", "entrypoint-set", f"{cf}:2"),
        ("info", "toolbox-label", f"{cf}:1"),
    ]


def test_a_clean_image_meets_the_requirements(paths: Paths) -> None:
    report = lint(context(paths, FakeEngine(image_info(), script_output())), "debian-dev")
    assert report.findings == ()  # base-not-toolbx only asks for this check
    assert report.summary == "meets toolbx's requirements"
