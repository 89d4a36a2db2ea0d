"""Docker references normalised as distribution's ParseNormalizedNamed does."""

from __future__ import annotations

import pytest

from envman.signing.reference import ReferenceInvalid, parse_reference, with_default_tag

HEX = "cad4ce2db18d5dab3a2c86b4a4d454d1709c2633431200583a156d9b984d5723"


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("busybox", "docker.io/library/busybox"),
        ("busybox:1.36", "docker.io/library/busybox:1.36"),
        ("team/tool:v1", "docker.io/team/tool:v1"),
        ("index.docker.io/busybox:1", "docker.io/library/busybox:1"),
        ("localhost/fixture/signed:tag", "localhost/fixture/signed:tag"),
        ("localhost:5000/a:b", "localhost:5000/a:b"),
        (
            "127.0.0.1:5077/fixture/signed:770ef567cc81",
            "127.0.0.1:5077/fixture/signed:770ef567cc81",
        ),
        (f"quay.io/a/b@sha256:{HEX}", f"quay.io/a/b@sha256:{HEX}"),
        (f"quay.io/a/b:t@sha256:{HEX}", f"quay.io/a/b:t@sha256:{HEX}"),
        ("Registry.Example.com/a/b_c.d-e__f:T.1", "Registry.Example.com/a/b_c.d-e__f:T.1"),
    ],
)
def test_normalisation(text: str, normalised: str) -> None:
    assert str(parse_reference(text)) == normalised


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Busybox",
        "docker.io/Team/tool",
        HEX,
        "a/b:",
        "a/b:-tag",
        "a//b",
        "a/b@sha256:abc",
        f"a/b@sha256:{HEX.upper()}",
        f"a/b@md5:{HEX}",
        "a/" + "b" * 260,
        "a/b:" + "t" * 129,
        "a b",
    ],
)
def test_invalid_references(text: str) -> None:
    with pytest.raises(ReferenceInvalid):
        parse_reference(text)


def test_default_tag_only_for_a_bare_name() -> None:
    assert str(with_default_tag(parse_reference("busybox"))) == "docker.io/library/busybox:latest"
    digested = parse_reference(f"busybox@sha256:{HEX}")
    assert with_default_tag(digested) == digested
