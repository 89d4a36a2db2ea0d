"""What README.md and docs/ say that a unit test can check: commands, tables, links, doctor."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from envman.errors import ExitCode
from envman.ops import doctor
from envman.ops.context import Context
from envman.paths import Paths
from envman.runner import Completed

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
DOCS = REPO / "docs"
# Pages other branches write (team images, the distrobox guide); drop each once it is merged.
PENDING: set[str] = set()
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def section(text: str, heading: str) -> str:
    """The text under `heading` up to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    body = text.split(f"\n{heading}\n", 1)[1]
    ends = [m.start() for m in re.finditer(rf"(?m)^#{{1,{len(level)}}} ", body)]
    return body[: ends[0]] if ends else body


def code_blocks(text: str, lang: str) -> list[str]:
    return [b.strip() for b in re.findall(rf"```{lang}\n(.*?)```", text, re.DOTALL)]


def test_the_readme_gives_two_commands_for_a_fresh_machine_after_the_silverblue_flow() -> None:
    text = README.read_text(encoding="utf-8")
    fresh = "## On a fresh Debian 12 machine: two commands"
    assert code_blocks(section(text, fresh), "sh") == ["sudo scripts/quickstart", "sudo .ci/run"]
    for script in ("scripts/quickstart", ".ci/run"):
        assert os.access(REPO / script, os.X_OK), script
    quickstart = (REPO / "scripts" / "quickstart").read_text(encoding="utf-8")
    assert '"$envman" up ansible\n' in quickstart
    assert '"$envman" run ansible -- ansible --version\n' in quickstart
    silverblue = text.index("\n## On Silverblue")
    assert silverblue < text.index(f"\n{fresh}\n")
    assert "pipx install ." in section(text, "## On Silverblue, Kinoite, Universal Blue or Bazzite")


def exit_code_rows(text: str) -> dict[int, str]:
    rows: dict[int, str] = {}
    for line in section(text, "### Exit codes").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        for code, meaning in zip(cells[::2], cells[1::2], strict=False):
            if code.isdigit():
                rows[int(code)] = meaning
    return rows


def test_the_exit_code_table_lists_every_code_envman_has() -> None:
    text = README.read_text(encoding="utf-8")
    listed = exit_code_rows(text)
    codes = {int(c) for c in vars(ExitCode).values() if isinstance(c, int)}
    assert sorted(listed) == sorted(codes - {ExitCode.COMMAND_NOT_FOUND})
    assert all(listed.values())
    assert "127 and one line from envman for a command not found inside" in text


def test_troubleshooting_has_a_row_for_every_doctor_check(tmp_path: Path) -> None:
    def run(argv: Sequence[str], timeout: float) -> Completed:
        return Completed(tuple(argv), 1, "", "no podman here")

    env = {"HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    ctx = Context(paths=Paths.from_env(env, cwd=tmp_path), environ=env)
    probes = doctor.Probes(uid=1000, run=run, which=lambda _: "/usr/bin/podman")
    names = {check.name for check in doctor.diagnose(ctx, probes)}
    page = (DOCS / "troubleshooting.md").read_text(encoding="utf-8")
    rows = section(page, "## Start with `envman doctor`").splitlines()
    documented = {
        name.strip(" `")
        for line in rows
        if line.startswith("| `")
        for name in line.split("|")[1].split(",")
    }
    assert names <= documented, names - documented


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {slug(h) for h in re.findall(r"(?m)^#{1,6} (.+)$", text)}


PAGES = [README, *sorted(DOCS.glob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        if str(path.relative_to(REPO)) in PENDING:
            continue
        assert path.exists(), f"{page.name}: {target}"
        if anchor and path.suffix == ".md":
            assert anchor in anchors(path), f"{page.name}: {target}"


def test_the_readme_links_every_docs_page() -> None:
    listed = set(LINK.findall(section(README.read_text(encoding="utf-8"), "## Documentation")))
    pages = {f"docs/{p.name}" for p in DOCS.glob("*.md")} | PENDING
    assert pages <= listed, pages - listed


def test_the_slug_is_githubs() -> None:
    assert slug("Coming from distrobox / toolbx") == "coming-from-distrobox--toolbx"
    assert (
        slug("Team images: signatures and keys (first part)")
        == "team-images-signatures-and-keys-first-part"
    )


def test_rm_asks_and_without_a_terminal_removes_nothing(tmp_path: Path) -> None:
    """README: `rm` asks (`--yes` does not); with no one to ask it stops before any podman call."""
    env = {**os.environ, "HOME": str(tmp_path), "PATH": str(tmp_path)}  # no podman on PATH
    result = subprocess.run(
        [sys.executable, "-m", "envman", "rm", "box"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == ExitCode.ABORTED, result.stderr
    assert result.stderr == (
        "envman: error: not removing box without confirmation\nhint: pass --yes\n"
    )


def command_lines(text: str) -> Iterator[str]:
    """Lines of sh/console code blocks, and inline code spans outside blocks."""
    fence = ""
    prose = []
    for line in text.splitlines():
        if line.startswith("```"):
            fence = "" if fence else (line[3:] or "text")
            continue
        if fence in ("sh", "console"):
            yield line
        elif not fence:
            prose.append(line)
    spans = re.findall(r"`([^`]+)`", "\n".join(prose).replace("\\|", "|"))
    yield from (" ".join(span.split()) for span in spans)  # a span may wrap across lines


def options_of(command: Any) -> set[str]:
    names = {"-h", "--help"}
    for param in command.params:
        names.update(getattr(param, "opts", ()), getattr(param, "secondary_opts", ()))
    return names


def unknown_words(line: str, root: Any) -> Iterator[str]:
    """Commands and options an `envman ...` in this line names that the CLI does not have."""
    for found in re.finditer(r"(?:^|[\s$(])envman ([^#;&)]*)", line):
        words = [w.strip("[]") for w in found[1].split(" | ")[0].split()]
        command, path = root, []
        while words and getattr(command, "commands", None):
            names = words[0].split("|")
            if not re.fullmatch(r"[a-z][a-z-]*", names[0]):
                break  # a placeholder (COMMAND, ...) or an option of the group
            missing = [n for n in names if n not in command.commands]
            if missing:
                yield f"envman {' '.join([*path, *missing])}"
                break
            path.append(words.pop(0))
            command = command.commands[names[0]] if len(names) == 1 else None
        if command is None or getattr(command, "commands", None):
            continue
        known = options_of(command)
        for word in words[: words.index("--") if "--" in words else None]:
            for piece in word.split("|"):
                option = piece.strip("[]").split("=")[0]
                if re.fullmatch(r"--?[a-zA-Z][\w-]*", option) and option not in known:
                    yield f"envman {' '.join(path)} {option}"


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_command_and_option_the_docs_name_exists(page: Path) -> None:
    from envman.cli.app import app
    from envman.cli.words import command_tree

    root = command_tree(app)
    text = page.read_text(encoding="utf-8")
    assert [w for line in command_lines(text) for w in unknown_words(line, root)] == []


def test_files_md_names_every_path_where_the_code_puts_it(tmp_path: Path) -> None:
    from envman.bridge.systemd import unit_path
    from envman.engine.service import private_socket
    from envman.exports.ledger import ledger_dir
    from envman.exports.shim import shim_path
    from envman.history import history_file
    from envman.host.writer_locks import env_lock, sources_lock
    from envman.journal import journal_file
    from envman.ops.buildlog import log_dir
    from envman.ops.up_stamp import stamp_file
    from envman.state import run_file, state_file

    paths = Paths.from_env({"HOME": str(tmp_path)}, cwd=tmp_path)
    page = (DOCS / "files.md").read_text(encoding="utf-8")
    below = {
        paths.state: [
            state_file(paths, "NAME"),
            run_file(paths, "NAME"),
            history_file(paths, "NAME"),
            ledger_dir(paths) / "NAME.json",
            journal_file(paths, "NAME"),
            Path(stamp_file(str(paths.state), "NAME")),
            log_dir(Context(paths=paths, environ={})) / "NAME-TIMESTAMP.log",
            env_lock(paths, "NAME"),
            sources_lock(paths),
        ],
        paths.data: [shim_path(paths), paths.sources / "NAME"],
        paths.config: [paths.config_file, paths.sources_file],
    }
    for root, files in below.items():
        for path in files:
            assert f"`{path.relative_to(root)}" in page, path
    assert paths.state == tmp_path / ".local/state/envman"
    assert "`$XDG_STATE_HOME/envman/` (`~/.local/state/envman/`)" in page
    assert paths.data == tmp_path / ".local/share/envman"
    assert "`$XDG_DATA_HOME/envman/` (`~/.local/share/envman/`)" in page
    assert paths.config == tmp_path / ".config/envman"
    assert "`$XDG_CONFIG_HOME/envman/` (`~/.config/envman/`)" in page
    unit = unit_path(paths.config.parent).relative_to(tmp_path / ".config")
    assert f"`$XDG_CONFIG_HOME/{unit}`" in page
    assert private_socket(paths).parent == paths.runtime
    assert "`$XDG_RUNTIME_DIR/envman/`" in page


def block(page: Path, lang: str) -> str:
    """The first code block of a language on a page."""
    return re.findall(rf"```{lang}\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)[0]


def test_the_ini_example_of_profiles_md_reads_as_it_says(tmp_path: Path) -> None:
    from envman.profile.resolver import Resolver, refs_in_file

    path = tmp_path / "team.ini"
    path.write_text(block(DOCS / "profiles.md", "ini"), encoding="utf-8")
    base, python39 = (Resolver((tmp_path,), tmp_path).resolve(r) for r in refs_in_file(path))
    assert base.packages == ("git", "vim") and not base.warnings
    assert python39.image == "registry.fedoraproject.org/fedora-toolbox:41"
    assert python39.packages == ("git", "vim", "python3.9")
    assert [(h.when, h.sh) for h in python39.hooks] == [("build", "python3.9 -m ensurepip")]
    assert python39.volumes == ("~/src:/src",) and not python39.warnings


def test_the_containerfile_example_of_profiles_md_is_a_profile(tmp_path: Path) -> None:
    from envman.profile.resolver import Resolver, refs_in_file

    path = tmp_path / "rust.Containerfile"
    path.write_text(block(DOCS / "profiles.md", "dockerfile"), encoding="utf-8")
    (ref,) = refs_in_file(path)
    profile = Resolver((tmp_path,), tmp_path).resolve(ref)
    assert (profile.name, profile.format) == ("rust", "containerfile")
