"""Build steps as podman counts them, what its cache reuses, and package steps split for it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from envman.host.config import Config
from envman.ops.build_inputs import _override_from
from envman.render.containerfile import render
from envman.render.layers import (
    base_images,
    changed_layers,
    layer_keys,
    package_layers,
    package_split,
    split_packages,
)
from tests.unit.test_render import SCRIPTS, dev

FILES = {"a.txt": (b"a", 0o644), "dir/b.txt": (b"b", 0o644)}

HEREDOC = """\
FROM img
RUN <<EOF
echo one
echo two
EOF
COPY a.txt /a
COPY dir/ /dir/
"""


def test_a_here_document_is_one_step() -> None:
    keys = layer_keys(HEREDOC, FILES)
    assert [text.split("\n")[0] for text, _ in keys] == [
        "FROM img",
        "RUN <<EOF",
        "COPY a.txt /a",
        "COPY dir/ /dir/",
    ]
    assert "echo two" in keys[1][0]


def test_a_copy_is_keyed_by_what_it_copies() -> None:
    before = layer_keys(HEREDOC, FILES)
    after = layer_keys(HEREDOC, {**FILES, "dir/b.txt": (b"changed", 0o644)})
    assert changed_layers(before, after) == (2, ["COPY dir/ /dir/"])


def test_from_is_not_counted_and_a_new_base_reuses_nothing() -> None:
    old = layer_keys(HEREDOC, FILES, {"img": "id1"})
    assert changed_layers(old, old)[0] == 3
    assert changed_layers(old, layer_keys(HEREDOC, FILES, {"img": "id2"}))[0] == 0
    assert changed_layers(old, layer_keys(HEREDOC, FILES))[0] == 3  # id unknown: no evidence


def test_stages_are_compared_stage_by_stage() -> None:
    text = "FROM img AS build\nRUN make {v}\nFROM img\nRUN true\nCOPY --from=build /out /out\n"
    old = layer_keys(text.format(v=1), {})
    reused, rebuilt = changed_layers(old, layer_keys(text.format(v=2), {}))
    assert (reused, rebuilt) == (1, ["RUN make 2", "COPY --from=build /out /out"])


def test_package_split_adds_a_step_for_additions_and_starts_over_on_removal() -> None:
    assert package_split([], ["b", "a"]) == [["a", "b"]]
    assert package_split([["a", "b"]], ["a", "b", "c"]) == [["a", "b"], ["c"]]
    assert package_split([["a", "b"], ["c"]], ["a", "b", "c"]) == [["a", "b"], ["c"]]
    assert package_split([["a", "b"], ["c"]], ["a", "c"]) == [["a", "c"]]
    full = [["a"], ["b"], ["c"], ["d"]]
    assert package_split(full, ["a", "b", "c", "d", "e"]) == [["a", "b", "c", "d", "e"]]


def test_one_more_package_reuses_the_previous_package_step() -> None:
    first = render(dev(), "img", SCRIPTS)
    old = layer_keys(first.containerfile, first.files)
    more = render(replace(dev(), packages=("vim", "git", "jq")), "img", SCRIPTS)
    split = split_packages(more, package_layers(old))
    assert split.content_hash == more.content_hash
    assert package_layers(layer_keys(split.containerfile, split.files)) == [["git", "vim"], ["jq"]]
    reused, rebuilt = changed_layers(old, layer_keys(split.containerfile, split.files))
    assert "jq" in rebuilt[0] and reused == 7


PLATFORM = """\
FROM --platform=linux/amd64 debian:bookworm AS build
RUN <<EOF
FROM debian:bookworm
EOF
FROM \\
  --platform=linux/amd64 \\
  debian:bookworm
COPY --from=build /a /a
FROM --platform=linux/amd64 build
RUN echo last
"""


def test_a_from_with_platform_names_its_image_not_the_flag() -> None:
    keys = layer_keys(PLATFORM, {}, {"debian:bookworm": "id1"})
    assert base_images(keys) == ["debian:bookworm"]
    assert [digest for text, digest in keys if text.startswith("FROM")] == ["id1", "id1", ""]
    runs = [text for text, _ in keys if text.startswith("RUN")]
    assert runs == ["RUN <<EOF\nFROM debian:bookworm\nEOF", "RUN echo last"]  # one here-document


def test_a_rebuilt_platform_stage_rebuilds_what_reads_it() -> None:
    before = layer_keys(PLATFORM, {}, {"debian:bookworm": "id1"})
    edited = PLATFORM.replace("AS build", "AS build\nRUN true")
    after = layer_keys(edited, {}, {"debian:bookworm": "id1"})
    assert changed_layers(before, after)[1][-2:] == ["COPY --from=build /a /a", "RUN echo last"]


def test_an_image_override_applies_to_from_with_platform_only() -> None:
    config = Config(image_overrides={"debian:bookworm": "localhost/debian:bookworm"})
    text = _override_from(PLATFORM, config, Path("Containerfile"))
    assert text.split("\n")[0] == "FROM --platform=linux/amd64 localhost/debian:bookworm AS build"
    assert text.split("\n")[2] == "FROM debian:bookworm"  # a here-document's body is not a step
    assert text.split("\n")[6] == "  localhost/debian:bookworm"
    assert _override_from(PLATFORM, Config(), Path("Containerfile")) == PLATFORM
