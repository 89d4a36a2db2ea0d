"""Fuzzing the Containerfile readers: instructions, variables, here-documents, the build context."""

from __future__ import annotations

import os

from hypothesis import given
from hypothesis import strategies as st

from envman.profile.containerfile_format import (
    context_files,
    parse_instructions,
    read_containerfile_profile,
)
from envman.profile.toolbx_lint import lint_containerfile
from tests.fuzz.guards import own_errors_only, scratch, soup

TOKENS = [
    "FROM docker.io/library/debian:bookworm",
    "FROM ",
    "FROM $BASE",
    "FROM base AS build",
    "FROM build",
    " AS ",
    "ARG ",
    "ARG BASE=docker.io/library/fedora:41",
    "ARG A=",
    "ENV ",
    "LABEL ",
    "LABEL version=",
    "LABEL com.github.containers.toolbox=true",
    "RUN ",
    "COPY ",
    "ADD ",
    "WORKDIR ",
    "SHELL ",
    "ONBUILD ",
    "USER ",
    "CMD ",
    "ENTRYPOINT ",
    "HEALTHCHECK ",
    "--mount=type=bind,source=",
    "--from=build ",
    "--chmod=755 ",
    "# escape=`\n",
    "# escape=\\\n",
    "# syntax=x\n",
    "#",
    "\n",
    " ",
    "\t",
    "\\\n",
    "`\n",
    "\\",
    "`",
    "$A",
    "$A$A$A$A",
    "${A}",
    "${A:-",
    "${A:+x}",
    "${A?}",
    "${",
    "}",
    "$",
    "=",
    '"',
    "'",
    "[",
    "]",
    '["/bin/sh", "-c"]',
    '["a", 1]',
    "<<EOF",
    "<<-'EOF'",
    "EOF",
    "file",
    "dir/",
    "*",
    "[a-",
    "../",
    "/abs",
    ".",
    "link",
    "\x00",
    "\r",
    "\ufeff",
]
IGNORE_TOKENS = ["*", "**", "**/", "!", "file", "dir", "/", "[", "]", "[!a-z]", "\\", "\n", "#"]

KEYWORDS = ["ARG", "ENV", "LABEL", "COPY", "ADD", "RUN", "WORKDIR", "FROM", "ONBUILD", "SHELL"]
WORDS = [
    "A=",
    "B=",
    "$A",
    "${A}",
    "${A:-",
    "${B:+",
    "}",
    "x",
    " ",
    '"',
    "'",
    "\\\n",
    "<<EOF\n",
    "EOF\n",
    "--mount=type=bind,source=",
    "--from=b ",
    "[",
    "]",
    '"a"',
    ",",
    "=",
    "*",
    "link",
    "file",
    "dir/",
    "../",
    "\t",
    "\n",
]
# Mostly well-formed lines (a keyword, then words), so the variable and context code is reached.
NESTS = (("${A:-", "}"), ("${B:+", "}"), ('"', '"'))
lines = st.tuples(st.sampled_from(KEYWORDS), soup(WORDS, 12, NESTS)).map(" ".join)
instructions = st.one_of(
    soup(TOKENS),
    st.lists(lines, max_size=12).map(lambda found: "\n".join([TOKENS[0], *found]) + "\n"),
)


def read(text: str) -> None:
    own_errors_only(lambda: read_containerfile_profile(text, "/fuzz/Containerfile", "cf"))
    own_errors_only(lambda: parse_instructions(text, "/fuzz/Containerfile"))


@given(st.text(max_size=400))
def test_any_text(text: str) -> None:
    with scratch():
        read(text)


@given(instructions)
def test_instruction_soup(text: str) -> None:
    with scratch():
        read(text)
        instructions = own_errors_only(lambda: parse_instructions(text, "/fuzz/Containerfile"))
        if isinstance(instructions, list):
            own_errors_only(lambda: lint_containerfile(instructions, "/fuzz/Containerfile"))


@given(
    instructions,
    st.lists(st.sampled_from(IGNORE_TOKENS), max_size=12).map("".join),
    st.sampled_from(["file", "fifo", "dir", "link-in", "link-out", "loop"]),
)
def test_build_context(text: str, ignore: str, kind: str) -> None:
    """context_files on a directory holding files, links, a FIFO and an ignore file."""
    with scratch() as root:
        top = root / "profile"
        (top / "dir").mkdir(parents=True)
        (top / "dir" / "inner").write_text("x", encoding="utf-8")
        (top / "file").write_text("x", encoding="utf-8")
        special = top / "link"
        if kind == "fifo":
            os.mkfifo(special)
        elif kind == "dir":
            special.mkdir()
        elif kind == "link-in":
            special.symlink_to("file")
        elif kind == "link-out":
            special.symlink_to(root)
        elif kind == "loop":
            special.symlink_to("link")
        else:
            special.write_text("y", encoding="utf-8")
        (top / ".containerignore").write_text(ignore, encoding="utf-8")
        containerfile = top / "Containerfile"
        containerfile.write_text(text, encoding="utf-8", errors="surrogatepass")
        own_errors_only(lambda: context_files(containerfile))
