"""The steps of a Containerfile as podman builds them, keyed to tell what its layer cache reuses.

Steps come from envman's real Containerfile parser (continuation lines and here-documents as
podman reads them). A step's key is its text and a digest of what it depends on besides the
step before it: the context files a COPY/ADD copies, a FROM's base image id. The package step
is split along the previous build's package steps, so that these come from the cache.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import re
from collections.abc import Mapping, Sequence

from envman.profile.containerfile.instructions import Instruction, parse_instructions
from envman.render.containerfile import BuildPlan, package_args, package_step

Layer = tuple[str, str]
MAX_PACKAGE_LAYERS = 4
FILE = ".envman.Containerfile"
_FROM_FLAG = re.compile(r"--from=(\S+)", re.IGNORECASE)


def layer_keys(
    containerfile: str,
    files: Mapping[str, tuple[bytes, int]],
    base_ids: Mapping[str, str] | None = None,
) -> list[Layer]:
    """(text, digest) of every step, FROM lines included (ARGs before the first FROM are none)."""
    found = parse_instructions(containerfile, FILE)
    first = next((i for i, ins in enumerate(found) if ins.keyword == "FROM"), len(found))
    return [(step_text(ins), _digest(ins, files, base_ids or {})) for ins in found[first:]]


def step_text(ins: Instruction) -> str:
    """A step as written: keyword, flags, arguments, then the bodies of its here-documents."""
    text = " ".join([ins.keyword, *ins.flags, ins.args])
    return text + "".join(f"\n{doc.body}{doc.name}" for doc in ins.heredocs)


def base_images(keys: Sequence[Layer]) -> list[str]:
    """The external images the FROM steps name (not earlier stages)."""
    names: set[str] = set()
    images = []
    for text, _ in keys:
        if text.startswith("FROM "):
            base = _from_image(text)
            if base.lower() not in names and base not in images:
                images.append(base)
            names.add(_stage_name(text))
    return images


def _from_image(text: str) -> str:
    """The image (or stage) a FROM step starts from, past its --flags such as --platform."""
    words = [w for w in text.split()[1:] if not w.startswith("--")]
    return words[0] if words else ""


def _digest(
    ins: Instruction, files: Mapping[str, tuple[bytes, int]], bases: Mapping[str, str]
) -> str:
    if ins.keyword == "FROM":
        return bases.get(ins.args.split()[0], "") if ins.args.split() else ""
    if not _copies_context(ins):
        return ""
    return _files_digest(ins, files)


def _copies_context(ins: Instruction) -> bool:
    """A COPY or ADD of build-context files (not from a stage, not a here-document)."""
    return ins.keyword in ("COPY", "ADD") and ins.flag("from") is None and not ins.heredocs


def _files_digest(ins: Instruction, files: Mapping[str, tuple[bytes, int]]) -> str:
    words = list(ins.argv) if ins.json_form else ins.args.split()
    sources = [w.removeprefix("./") for w in words[:-1]]
    digest = hashlib.sha256()
    for path in sorted(files):
        if any(_copies(source, path) for source in sources):
            data, mode = files[path]
            digest.update(f"{path}\0{mode}\0".encode() + hashlib.sha256(data).digest())
    return digest.hexdigest()[:16]


def _copies(source: str, path: str) -> bool:
    if source in (".", ""):
        return True
    bare = source.rstrip("/")
    return path == bare or path.startswith(bare + "/") or fnmatch.fnmatchcase(path, source)


def changed_layers(old: Sequence[Layer], new: Sequence[Layer]) -> tuple[int, list[str]]:
    """How many steps of `new` podman takes from the cache `old` left, and the steps it runs.

    Stage by stage: a stage reuses its leading steps while they equal the old stage's at the
    same position, its FROM included; a step that reads a stage that does not come wholly from
    the cache (FROM it, COPY --from, RUN --mount from=) runs again. FROM steps are not counted.
    """
    old_stages, new_stages = _stages(old), _stages(new)
    changed: set[str] = set()
    reused, rebuilt = 0, list[str]()
    for index, stage in enumerate(new_stages):
        before = old_stages[index] if index < len(old_stages) else []
        same = _same_prefix(before, stage, changed)
        reused += max(same - 1, 0)
        rebuilt.extend(text for text, _ in stage[max(same, 1) :])
        if same != len(stage) or len(before) != len(stage):
            changed.update({str(index), _stage_name(stage[0][0])} - {""})
    return reused, rebuilt


def _stages(keys: Sequence[Layer]) -> list[list[Layer]]:
    stages: list[list[Layer]] = []
    for key in keys:
        if key[0].startswith("FROM ") or not stages:
            stages.append([])
        stages[-1].append(key)
    return stages


def _same_prefix(before: Sequence[Layer], stage: Sequence[Layer], changed: set[str]) -> int:
    count = 0
    for old, new in zip(before, stage, strict=False):
        if not _same(old, new) or _reads(new[0], changed):
            break
        count += 1
    return count


def _same(old: Layer, new: Layer) -> bool:
    """Equal keys; for a FROM, an unknown base id (podman could not say) is no difference."""
    if old[0] != new[0]:
        return False
    return old[1] == new[1] or (old[0].startswith("FROM ") and "" in (old[1], new[1]))


def _reads(text: str, changed: set[str]) -> bool:
    """Whether a step reads a stage in `changed` (FROM it, --from=, from= of a mount)."""
    words = text.split()
    if words[:1] == ["FROM"] and _from_image(text).lower() in changed:
        return True
    for match in _FROM_FLAG.finditer(text):
        if match.group(1).lower() in changed:
            return True
    return any(
        f"from={name}" in word.lower() for word in words if "--mount" in word for name in changed
    )


def _stage_name(from_text: str) -> str:
    words = from_text.split()
    return words[-1].lower() if len(words) >= 4 and words[-2].lower() == "as" else ""


def package_layers(keys: Sequence[Layer]) -> list[list[str]]:
    """The package sets the pkg-install steps installed, in order (`--essentials` left out)."""
    found = [package_args(text) for text, _ in keys]
    return [args for args in found if args and not args[0].startswith("--")]


def split_packages(plan: BuildPlan, previous: Sequence[Sequence[str]]) -> BuildPlan:
    """The plan with its package step split as the previous build's was, plus one for additions.

    Installing only what was added, in a step after the ones the cache already holds, makes
    one more package cost one package: the earlier package layers come from the cache. When a
    package was removed, or the split has MAX_PACKAGE_LAYERS steps, one step installs them all
    again. Content and content hash stay those of the plan: the same packages get installed.
    """
    lines = plan.containerfile.split("\n")
    index, wanted = _package_step(lines)
    if index is None:
        return plan
    layers = package_split(previous, wanted)
    lines[index : index + 1] = [package_step(names) for names in layers]
    return dataclasses.replace(plan, containerfile="\n".join(lines))


def package_split(previous: Sequence[Sequence[str]], wanted: Sequence[str]) -> list[list[str]]:
    """The package sets to install one step each: the previous split and then what is new."""
    kept = [sorted(set(layer)) for layer in previous if layer]
    had = {name for layer in kept for name in layer}
    added = sorted(set(wanted) - had)
    if not kept or not had <= set(wanted) or (added and len(kept) >= MAX_PACKAGE_LAYERS):
        return [sorted(set(wanted))]
    return kept + ([added] if added else [])


def _package_step(lines: list[str]) -> tuple[int | None, list[str]]:
    """The position of the step that installs the profile's packages (after the essentials)."""
    found = [(i, args) for i, line in enumerate(lines) if (args := package_args(line)) is not None]
    for index, args in found:
        if args and not args[0].startswith("--"):
            return index, args
    return None, []
