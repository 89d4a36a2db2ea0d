"""Containerfile profiles: parsing, stages and variables, errors with file:line, context files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from envman.errors import ProfileSchemaError, ProfileSyntaxError
from envman.profile.containerfile_format import (
    OUTSIDE_HINT,
    Containerfile,
    Heredoc,
    context_files,
    end_scope,
    parse_containerfile,
    parse_instructions,
    read_containerfile_profile,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "containerfile"


def fixture(name: str) -> tuple[str, str]:
    path = DATA / name
    return path.read_text(encoding="utf-8"), str(path)


def parse(text: str) -> Containerfile:
    return parse_containerfile(text, "Containerfile")


def labels(text: str) -> dict[str, str]:
    return end_scope(parse(text)).labels


# --- profiles from the fixtures ---------------------------------------------------------------


def test_fedora_style_toolbox_profile() -> None:
    text, file = fixture("fedora-toolbox.Containerfile")
    profile = read_containerfile_profile(text, file, "fedora-dev")
    assert profile.name == "fedora-dev"
    assert profile.format == "containerfile"
    assert profile.containerfile == "fedora-toolbox.Containerfile"
    assert profile.origin.file == file and profile.origin.line == 1
    assert profile.image == "registry.fedoraproject.org/fedora:41"
    assert profile.version == "41"
    assert profile.description == "Base image for creating Fedora Toolbx containers"


def test_fedora_style_continuations_drop_comment_lines() -> None:
    text, file = fixture("fedora-toolbox.Containerfile")
    runs = [i for i in parse_instructions(text, file) if i.keyword == "RUN"]
    assert "comments inside" not in runs[1].args
    assert runs[1].args.split() == [
        "dnf",
        "--assumeyes",
        "upgrade",
        "&&",
        "dnf",
        "--assumeyes",
        "install",
        "sudo",
        "flatpak-spawn",
        "&&",
        "dnf",
        "clean",
        "all",
    ]
    assert (runs[1].line, runs[1].end_line) == (20, 25)


def test_multistage_follows_the_final_chain_to_the_external_image() -> None:
    text, file = fixture("multistage.Containerfile")
    cf = parse_containerfile(text, file)
    assert [s.name for s in cf.stages] == ["build", "base", "tools", None]
    assert [s.parent for s in cf.stages] == [None, None, 1, 2]
    assert cf.stages[0].base == "docker.io/library/golang:1.22"
    assert [s.name for s in cf.chain()] == ["base", "tools", None]
    profile = read_containerfile_profile(text, file, "team")
    assert profile.image == "quay.io/toolbx/ubuntu-toolbox:24.04"
    assert profile.version == "2.1"  # inherited from stage `base`
    assert profile.description == "final stage"  # `description` outranks the OCI label


def test_escape_directive_uses_backtick() -> None:
    text, file = fixture("escape-backtick.Containerfile")
    instructions = parse_instructions(text, file)
    assert [i.keyword for i in instructions] == ["FROM", "RUN", "CMD", "LABEL"]
    assert all(i.escape == "`" for i in instructions)
    assert instructions[1].args.split() == [
        "apt-get",
        "update",
        "&&",
        "apt-get",
        "install",
        "-y",
        "sudo",
    ]
    assert instructions[2].json_form and instructions[2].argv == ("C:\\not\\a\\windows\\path",)
    assert labels(text) == {"version": "1.0", "path": "C:\\temp"}


def test_heredocs_are_read_as_bodies() -> None:
    text, file = fixture("heredoc.Containerfile")
    instructions = parse_instructions(text, file)
    assert [i.keyword for i in instructions] == ["FROM", "RUN", "COPY", "RUN"]
    run, copy, plain = instructions[1:]
    assert run.heredocs == (Heredoc("EOT", "set -e\ndnf install -y git\n", True, False),)
    assert (run.line, run.end_line) == (2, 5)
    assert copy.heredocs == (Heredoc("CONF", "key = $NOT_EXPANDED\n", False, True),)
    assert plain.heredocs == () and plain.line == 9


def test_crlf_line_endings() -> None:
    text, file = fixture("crlf.Containerfile")
    instructions = parse_instructions(text, file)
    assert instructions[1].args == "echo crlf     works"
    assert read_containerfile_profile(text, file, "crlf").version == "3"


# --- errors name file:line -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("bad/no-from.Containerfile", 3, "before the first FROM"),
        ("bad/only-comments.Containerfile", 1, "no FROM"),
        ("bad/unknown-instruction.Containerfile", 3, "unknown instruction 'apt-get'"),
        ("bad/malformed-json.Containerfile", 2, "JSON array"),
        ("bad/continuation-eof.Containerfile", 3, "line continuation"),
        ("bad/unterminated-heredoc.Containerfile", 2, "<<EOF is never closed"),
        ("bad/unresolved-arg.Containerfile", 2, "`ARG BASE` has no default"),
        ("bad/undeclared-arg.Containerfile", 1, "declares IMAGE"),
    ],
)
def test_syntax_errors_name_file_line_and_hint(name: str, line: int, words: str) -> None:
    text, file = fixture(name)
    with pytest.raises(ProfileSyntaxError) as info:
        read_containerfile_profile(text, file, "x")
    assert info.value.message.startswith(f"{file}:{line}: ")
    assert words in info.value.message
    assert info.value.hint


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("# escape=\\\n# escape=`\nFROM a\n", 2, "given twice"),
        ("# escape=x\nFROM a\n", 1, "cannot be the escape character"),
        ("FROM a\nSHELL /bin/bash -c\n", 2, "SHELL takes a JSON array"),
        ('FROM a\nENTRYPOINT ["a", 1]\n', 2, "every item must be a string"),
        ('FROM a\nRUN ["echo", "hi"\n', 2, "malformed"),
        ("FROM a\nCOPY ['a', 'b']\n", 2, "malformed"),
        ("FROM a\nRUN\n", 2, "RUN needs arguments"),
        ("FROM a\nONBUILD FROM b\n", 2, "ONBUILD cannot trigger 'FROM'"),
        ("FROM a b\n", 1, "FROM takes IMAGE [AS NAME]"),
        ("FROM a AS x\nFROM b AS X\n", 2, "already used on line 1"),
        ("FROM a AS 1x\n", 1, "not a valid stage name"),
        ("FROM a\nRUNN true\n", 2, "unknown instruction 'RUNN'"),
        ("FROM a\nLABEL a=b c\n", 2, "expects KEY=VALUE"),
        ("FROM a\nLABEL 'x\n", 2, "single quote is not closed"),
        ("ARG X=\nFROM ${X}\n", 2, "expands to nothing"),
        ("FROM a\nRUN echo \\\n\n# only comments follow\n", 2, "line continuation"),
    ],
)
def test_syntax_errors(text: str, line: int, words: str) -> None:
    with pytest.raises(ProfileSyntaxError) as info:
        read_containerfile_profile(text, "Containerfile", "x")
    assert info.value.message.startswith(f"Containerfile:{line}: "), info.value.message
    assert words in info.value.message


def test_unknown_instruction_suggests_a_close_one() -> None:
    with pytest.raises(ProfileSyntaxError) as info:
        parse("FROM a\nRUNN true\n")
    assert info.value.hint == "did you mean RUN?"


def test_bad_image_reference_is_a_schema_error() -> None:
    with pytest.raises(ProfileSchemaError, match=r"Containerfile:2: FROM: 'bad\$\(x\)'"):
        parse("ARG I=bad$(x)\nFROM ${I}\n")


def test_bad_default_name_is_a_schema_error() -> None:
    with pytest.raises(ProfileSchemaError):
        read_containerfile_profile("FROM a\n", "Containerfile", "../evil")


# --- lexical details -------------------------------------------------------------------------


def test_exec_form_and_shell_form() -> None:
    instructions = parse_instructions(
        'FROM a\nRUN [ -f /x ] && echo yes\nRUN ["echo", "hi"]\nCOPY [a-z]*.conf /etc/\n'
        'COPY ["a b", "/dst/"]\nENTRYPOINT [ ]\nCMD echo [x]\n',
        "Containerfile",
    )
    forms = [(i.keyword, i.json_form, i.argv) for i in instructions[1:]]
    assert forms == [
        ("RUN", False, ()),
        ("RUN", True, ("echo", "hi")),
        ("COPY", False, ()),
        ("COPY", True, ("a b", "/dst/")),
        ("ENTRYPOINT", True, ()),
        ("CMD", False, ()),
    ]


def test_flags_keywords_and_whitespace() -> None:
    (_, copy, run, healthcheck) = parse_instructions(
        "from a\n\tcopy --from=build --chown=1:1 --link /a /b\n"
        "RUN --mount=type=cache,target=/c --network=none make\n"
        "HEALTHCHECK --interval=5s CMD true\n",
        "Containerfile",
    )
    assert copy.keyword == "COPY" and copy.args == "/a /b"
    assert copy.flags == ("--from=build", "--chown=1:1", "--link")
    assert copy.flag("from") == "build" and copy.flag("link") == "" and copy.flag("chmod") is None
    assert run.flags == ("--mount=type=cache,target=/c", "--network=none") and run.args == "make"
    assert healthcheck.args == "CMD true"


def test_directives_only_at_the_top_and_bom() -> None:
    text = "\ufeff# syntax=x\n\n# escape=`\nFROM a\nRUN a \\\n b\n"
    instructions = parse_instructions(text, "F")
    assert instructions[1].escape == "\\"
    assert instructions[1].args == "a  b"


def test_empty_lines_inside_a_continuation_are_skipped() -> None:
    (_, run) = parse_instructions("FROM a\nRUN a \\\n\n   \n  b\n", "F")
    assert run.args == "a   b" and run.end_line == 5


def test_heredoc_markers_need_an_unquoted_word() -> None:
    text = "FROM a\nRUN cat <<'A' >/x && echo '<<B' && cat 3<<-C\n$HOME\nA\n\t\tc\n\tC\nRUN true\n"
    (_, run, after) = parse_instructions(text, "F")
    assert [(d.name, d.body, d.expand, d.strip_tabs) for d in run.heredocs] == [
        ("A", "$HOME\n", False, False),
        ("C", "c\n", True, True),
    ]
    assert after.line == 7


def test_variables_arg_env_defaults_and_quotes() -> None:
    found = labels(
        'ARG G=global\nFROM a\nARG G\nARG LOCAL=l "Q=a b"\nENV E=env LOCAL=fromenv\n'
        "LABEL g=$G local=${LOCAL} dflt=${UNSET:-dv} alt=${G:+yes} nope=${UNSET:+no} "
        "q=\"$Q\" single='$G' esc=\\$G empty=${EMPTY-d}\n"
        "LABEL legacy value with spaces\n"
    )
    assert found == {
        "g": "global",
        "local": "fromenv",
        "dflt": "dv",
        "alt": "yes",
        "nope": "",
        "q": "a b",
        "single": "$G",
        "esc": "$G",
        "empty": "d",
        "legacy": "value with spaces",
    }


def test_global_args_need_redeclaring_and_stages_inherit_env_and_labels() -> None:
    cf = parse(
        "ARG V=1\nFROM a AS one\nENV E=e\nLABEL one=$V\nWORKDIR /w\n"
        "FROM one AS two\nLABEL two=${V}-$E\nWORKDIR sub\nFROM b\nLABEL three=x\n"
    )
    assert end_scope(cf, 0).labels == {"one": ""}
    two = end_scope(cf, 1)
    assert two.labels == {"one": "", "two": "-e"} and two.workdir == "/w/sub"
    assert end_scope(cf).labels == {"three": "x"}
    assert cf.image == "b"


def test_stage_reference_is_case_insensitive_and_digest_images_pass() -> None:
    digest = "sha256:" + "a" * 64
    cf = parse(f"FROM reg.example/img@{digest} AS Base\nFROM BASE\n")
    assert cf.stages[1].parent == 0
    assert cf.image == f"reg.example/img@{digest}"


# --- context files ---------------------------------------------------------------------------


def test_context_files_of_the_fixture() -> None:
    root = DATA / "context"
    files = context_files(root / "Containerfile")
    assert [rel for rel, _ in files] == [
        "docs/readme.md",  # RUN --mount=type=bind,source=...
        "files/a.conf",
        "files/b.conf",
        "scripts/keep.tmp",  # re-included by !scripts/keep.tmp
        "scripts/lib/util.sh",
        "scripts/setup.sh",
    ]
    assert all(path == root.resolve() / rel for rel, path in files)


def make_context(tmp_path: Path, containerfile: str, files: dict[str, str]) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    path = tmp_path / "Containerfile"
    path.write_text(containerfile, encoding="utf-8")
    return path


def rels(containerfile: Path) -> list[str]:
    return [rel for rel, _ in context_files(containerfile)]


def test_context_unrelated_files_are_not_inputs(tmp_path: Path) -> None:
    cf = make_context(tmp_path, "FROM a\nCOPY app.conf /etc/\n", {"app.conf": "x", "notes.md": "y"})
    before = context_files(cf)
    (tmp_path / "notes.md").write_text("changed", encoding="utf-8")
    (tmp_path / "new.txt").write_text("new", encoding="utf-8")
    assert context_files(cf) == before == [("app.conf", tmp_path.resolve() / "app.conf")]


def test_context_whole_directory_minus_ignored(tmp_path: Path) -> None:
    cf = make_context(
        tmp_path,
        "FROM a\nCOPY . /src\n",
        {
            ".containerignore": ".git\n*.log\n",
            ".dockerignore": "a.txt\n",
            "a.txt": "",
            ".git/HEAD": "",
            "x.log": "",
            "sub/y.log": "",
            "sub/.hidden": "",
        },
    )
    assert rels(cf) == [
        ".containerignore",
        ".dockerignore",
        "Containerfile",
        "a.txt",
        "sub/.hidden",
        "sub/y.log",
    ]


def test_context_dockerignore_is_the_fallback(tmp_path: Path) -> None:
    cf = make_context(
        tmp_path, "FROM a\nCOPY . /src\n", {".dockerignore": "*\n!keep\n", "keep": "", "drop": ""}
    )
    assert rels(cf) == ["keep"]


def test_context_skips_remote_stage_and_heredoc_sources(tmp_path: Path) -> None:
    cf = make_context(
        tmp_path,
        "FROM a\nADD https://example.org/x.tgz git@example.org:r.git /opt/\n"
        "COPY --from=build /out /out\nCOPY <<EOF /etc/x\nbody\nEOF\n"
        "RUN --mount=type=bind,from=build,target=/b --mount=type=secret,id=s true\n"
        "ADD local.tar /opt/\n",
        {"local.tar": ""},
    )
    assert rels(cf) == ["local.tar"]


def test_context_bind_mount_defaults_to_everything(tmp_path: Path) -> None:
    cf = make_context(tmp_path, "FROM a\nRUN --mount=type=bind,target=/src make\n", {"m": ""})
    assert rels(cf) == ["Containerfile", "m"]


def test_context_variables_in_sources(tmp_path: Path) -> None:
    cf = make_context(
        tmp_path,
        'FROM a\nARG D=conf\nCOPY ${D}/*.conf "$D/x y" /etc/\n',
        {"conf/a.conf": "", "conf/x y": "", "conf/b.txt": ""},
    )
    assert rels(cf) == ["conf/a.conf", "conf/x y"]


@pytest.mark.parametrize("source", ["../secret", "/etc/passwd", "sub/../../secret", "a/../.."])
def test_context_refuses_paths_outside(tmp_path: Path, source: str) -> None:
    cf = make_context(tmp_path / "p", f"FROM a\nRUN true\nCOPY {source} /x\n", {})
    with pytest.raises(ProfileSchemaError) as info:
        context_files(cf)
    assert info.value.message.startswith(f"{cf}:3: COPY source")
    assert info.value.hint == OUTSIDE_HINT
    assert "cannot reach outside their directory" in OUTSIDE_HINT


def test_context_refuses_symlinks_leading_outside(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("key", encoding="utf-8")
    cf = make_context(tmp_path / "p", "FROM a\nCOPY link /x\n", {})
    (tmp_path / "p" / "link").symlink_to("../secret")
    with pytest.raises(ProfileSchemaError, match=r"Containerfile:2: COPY source 'link' is a link"):
        context_files(cf)


def test_context_refuses_symlinks_inside_copied_directories(tmp_path: Path) -> None:
    cf = make_context(tmp_path / "p", "FROM a\nCOPY conf /etc/conf\n", {"conf/ok": ""})
    (tmp_path / "p" / "conf" / "key").symlink_to("/etc/hostname")
    with pytest.raises(ProfileSchemaError, match="leading outside"):
        context_files(cf)


def test_context_refuses_a_directory_link_on_the_way(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "f").write_text("", encoding="utf-8")
    cf = make_context(tmp_path / "p", "FROM a\nCOPY d/f /x\n", {})
    (tmp_path / "p" / "d").symlink_to(tmp_path / "outside", target_is_directory=True)
    with pytest.raises(ProfileSchemaError, match="leading outside"):
        context_files(cf)


def test_context_links_inside_bring_their_target(tmp_path: Path) -> None:
    cf = make_context(
        tmp_path, "FROM a\nCOPY current /x\nCOPY tree /t\n", {"v2/app": "", "tree/file": ""}
    )
    (tmp_path / "current").symlink_to("v2", target_is_directory=True)
    (tmp_path / "tree" / "alias").symlink_to("file")
    files = dict(context_files(cf))
    assert sorted(files) == ["current", "tree/alias", "tree/file", "v2/app"]
    assert files["current"].is_symlink() and files["tree/alias"].is_symlink()


def test_context_symlink_loop(tmp_path: Path) -> None:
    cf = make_context(tmp_path, "FROM a\nCOPY loop /x\n", {})
    os.symlink("loop", tmp_path / "loop")
    with pytest.raises(ProfileSchemaError, match="Containerfile:2"):
        context_files(cf)


def test_context_ignore_file_must_not_lead_outside(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").write_text("*\n", encoding="utf-8")
    cf = make_context(tmp_path / "p", "FROM a\nCOPY x /x\n", {"x": ""})
    (tmp_path / "p" / ".containerignore").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ProfileSchemaError, match="outside"):
        context_files(cf)


@pytest.mark.parametrize(
    ("containerfile", "files"),
    [
        ("FROM a\nCOPY missing /x\n", {}),
        ("FROM a\nCOPY *.conf /x\n", {"a.txt": ""}),
        ("FROM a\nCOPY secret.key /x\n", {"secret.key": "", ".containerignore": "*.key\n"}),
    ],
)
def test_context_source_that_matches_nothing(
    tmp_path: Path, containerfile: str, files: dict[str, str]
) -> None:
    cf = make_context(tmp_path, containerfile, files)
    with pytest.raises(ProfileSchemaError, match=r"Containerfile:2: COPY source .* matches no"):
        context_files(cf)


def test_context_double_star_is_a_plain_star(tmp_path: Path) -> None:
    cf = make_context(
        tmp_path, "FROM a\nCOPY conf/**.conf /etc/\n", {"conf/a.conf": "", "conf/deep/b.conf": ""}
    )
    assert rels(cf) == ["conf/a.conf"]


def test_context_empty_source(tmp_path: Path) -> None:
    cf = make_context(tmp_path, 'FROM a\nCOPY "$UNSET" /x\n', {})
    with pytest.raises(ProfileSchemaError, match="Containerfile:2: COPY has an empty source"):
        context_files(cf)


def test_context_copy_needs_a_destination(tmp_path: Path) -> None:
    cf = make_context(tmp_path, "FROM a\nCOPY onlyone\n", {"onlyone": ""})
    with pytest.raises(ProfileSyntaxError, match="needs a source and a destination"):
        context_files(cf)
