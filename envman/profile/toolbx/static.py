"""The static toolbx lint: a Containerfile's final stage chain read for what breaks toolbx."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from envman.profile.containerfile.instructions import Instruction
from envman.profile.containerfile.profile import TOOLBOX_LABELS
from envman.profile.containerfile.scope import Scope, container_path, expand, words
from envman.profile.containerfile.stages import Containerfile, Stage, containerfile_from, walk
from envman.profile.toolbx.findings import TOOLBOX_LABEL_MESSAGE, Finding, ordered


@dataclass
class _FinalStage:
    """What the final stage chain leaves in force (last ENTRYPOINT and USER, the labels)."""

    entrypoint: Instruction | None = None
    user: tuple[str, int] | None = None
    scope: Scope | None = None


def lint_containerfile(instructions: Sequence[Instruction], file: str) -> list[Finding]:
    """Static toolbx findings for a parsed Containerfile (the final stage and its parents)."""
    cf = containerfile_from(instructions, file)
    chain = {stage.index for stage in cf.chain()}
    final = _FinalStage()
    findings: list[Finding] = []
    for stage, ins, scope in walk(cf):
        findings.extend(_any_stage(ins, file))
        if stage.index in chain:
            final.scope = scope
            findings.extend(_final_stage(ins, scope, final, file))
    findings.extend(_final_config(cf, final, file))
    return ordered(findings)


def _where(file: str, ins: Instruction) -> str:
    return f"{file}:{ins.line}"


def _any_stage(ins: Instruction, file: str) -> list[Finding]:
    if ins.heredocs:
        return [
            Finding(
                "should",
                "heredoc",
                "here-documents need buildah 1.33+; podman 4.3 (Debian 12) cannot build them",
                _where(file, ins),
            )
        ]
    if ins.keyword == "MAINTAINER":
        return [
            Finding(
                "info",
                "maintainer",
                "MAINTAINER is deprecated: use LABEL maintainer=...",
                _where(file, ins),
            )
        ]
    return []


def _final_stage(ins: Instruction, scope: Scope, final: _FinalStage, file: str) -> list[Finding]:
    if ins.keyword == "ENTRYPOINT":
        final.entrypoint = ins
    elif ins.keyword == "USER":
        final.user = (expand(ins, ins.args, scope, file), ins.line)
    elif ins.keyword == "VOLUME":
        return _volumes(ins, scope, file)
    elif ins.keyword == "WORKDIR":
        return _home_path(
            container_path(expand(ins, ins.args, scope, file), scope.workdir),
            ins,
            file,
            "WORKDIR creates",
        )
    elif ins.keyword in ("COPY", "ADD"):
        return _copy_into_home(ins, scope, file)
    elif ins.keyword == "RUN":
        return _creates_users(ins, file)
    elif ins.keyword == "EXPOSE":
        return [
            Finding(
                "info",
                "expose",
                "EXPOSE has no effect: toolbx shares the host's network",
                _where(file, ins),
            )
        ]
    return []


def _volumes(ins: Instruction, scope: Scope, file: str) -> list[Finding]:
    paths = ins.argv if ins.json_form else tuple(words(ins, ins.args, scope, file))
    findings: list[Finding] = []
    for raw in paths:
        path = container_path(raw, "/")
        if path in ("/", "/home") or path.startswith("/home/"):
            findings.append(
                Finding(
                    "must",
                    "volume-home",
                    f"VOLUME {path} puts a volume on /home, which toolbx needs empty and replaces",
                    _where(file, ins),
                )
            )
        else:
            findings.append(
                Finding(
                    "should",
                    "volume",
                    f"VOLUME {path} makes an anonymous volume per container, left behind whenever "
                    "envman recreates the environment: use the profile's volumes instead",
                    _where(file, ins),
                )
            )
    return findings


def _home_path(path: str, ins: Instruction, file: str, verb: str) -> list[Finding]:
    if path.startswith("/home/"):
        return [
            Finding(
                "must",
                "home-not-empty",
                f"{verb} {path}: /home must stay empty in a toolbx image",
                _where(file, ins),
            )
        ]
    return []


def _copy_into_home(ins: Instruction, scope: Scope, file: str) -> list[Finding]:
    items = ins.argv if ins.json_form else tuple(words(ins, ins.args, scope, file))
    if not items:
        return []
    dest = container_path(items[-1], scope.workdir)
    into = dest if dest != "/home" else "/home/"
    return _home_path(into, ins, file, f"{ins.keyword} writes into")


_USERADD_RE = re.compile(r"\buseradd\b(?P<opts>[^;&|\n]*)")
_ADDUSER_RE = re.compile(r"\badduser\b(?P<opts>[^;&|\n]*)")
_NO_HOME_RE = re.compile(r"(?:^|\s)(?:-M|--no-create-home|-r|--system|-H)\b")


def _creates_users(ins: Instruction, file: str) -> list[Finding]:
    text = " ".join([ins.args, *(doc.body for doc in ins.heredocs)])
    for pattern in (_USERADD_RE, _ADDUSER_RE):
        for match in pattern.finditer(text):
            if not _NO_HOME_RE.search(match.group("opts")):
                return [
                    Finding(
                        "should",
                        "home-user-created",
                        "this RUN creates a user that may get a home directory under /home, "
                        "which must stay empty (toolbx creates your user itself)",
                        _where(file, ins),
                    )
                ]
    return []


def _final_config(cf: Containerfile, final: _FinalStage, file: str) -> list[Finding]:
    findings = [*_entrypoint(final, file), *_user(final, file)]
    labels = final.scope.labels if final.scope else {}
    if not any(labels.get(key) == "true" for key in TOOLBOX_LABELS):
        findings.append(Finding("info", "toolbox-label", TOOLBOX_LABEL_MESSAGE, f"{file}:1"))
    findings.extend(_base_image(cf.chain()[0], file))
    return findings


def _entrypoint(final: _FinalStage, file: str) -> list[Finding]:
    ins = final.entrypoint
    # `ENTRYPOINT []` clears it; podman treats `[""]` the same way.
    if ins is None or (ins.json_form and not any(ins.argv)):
        return []
    return [
        Finding(
            "must",
            "entrypoint-set",
            "ENTRYPOINT is set in the final stage; toolbx and envman start their own entry point: "
            "remove it or add `ENTRYPOINT []` after it",
            _where(file, ins),
        )
    ]


def _user(final: _FinalStage, file: str) -> list[Finding]:
    if final.user is None:
        return []
    user, line = final.user
    name = user.split(":", 1)[0]
    if name in ("root", "0"):
        return []
    return [
        Finding(
            "must",
            "user-not-root",
            f"the final USER is {name!r}; toolbx and envman need root to set up your user: "
            "end with `USER root` (or drop the USER line)",
            f"{file}:{line}",
        )
    ]


def _base_image(root: Stage, file: str) -> list[Finding]:
    image = root.base
    if image == "scratch":
        return []
    where = f"{file}:{root.line}"
    findings: list[Finding] = []
    last = image.rsplit("/", 1)[-1]
    if "@" not in last and (":" not in last or last.endswith(":latest")):
        findings.append(
            Finding(
                "info",
                "base-not-pinned",
                f"the base image {image} has no fixed tag; rebuilds may change under you",
                where,
            )
        )
    if not re.search(r"toolbo?x", image):
        findings.append(
            Finding(
                "info",
                "base-not-toolbx",
                f"{image} is not a toolbx image: run `envman profile lint` on the built image "
                "to check sudo, capsh and the rest",
                where,
            )
        )
    return findings
