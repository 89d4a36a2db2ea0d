"""Fuzzing the YAML profile reader: text, YAML-shaped token soup, profile-shaped data, bytes."""

from __future__ import annotations

import yaml
from hypothesis import given
from hypothesis import strategies as st

from envman.profile.resolver import ProfileRef, Resolver
from envman.profile.yaml_format import TOP_KEYS, read_yaml_profile
from tests.fuzz.guards import own_errors_only, scratch, soup

# Pieces of YAML syntax that reach the corners of the parser and of envman's converter.
TOKENS = [
    "envman: 1\n",
    "name: x\n",
    "packages:",
    "include:",
    "hooks:",
    "- ",
    "  ",
    "\t",
    "\n",
    ": ",
    "? ",
    ",",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "<<: ",
    "!!int ",
    "!!str ",
    "!!binary ",
    "!!set ",
    "!!python/object ",
    "!x ",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "|\n",
    ">-\n",
    "#",
    '"',
    "'",
    '"\\ud800"',
    '"\\x00"',
    "1" * 4400,
    "0x" + "f" * 50,
    "2001-13-45",
    "2001-12-14t21:59:43.10-05:00",
    ".inf",
    "~",
    "null",
    "yes",
    "true",
    "3.5",
    "1e400",
    "run",
    "when",
    "env",
    "x",
    "\ufeff",
    "\x85",
]
KEYS = [*TOP_KEYS, "run", "sh", "script", "when", "stage", "user", "apps", "bins", "home"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["git", "build", "create", "host", "root", "a=b", "../x", "/abs"]),
)
data = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=4),
    ),
    max_leaves=20,
)
profile_data = st.dictionaries(st.sampled_from(KEYS), data, max_size=6).map(
    lambda d: {"envman": 1, **d}
)


def read(text: str) -> object:
    return own_errors_only(lambda: read_yaml_profile(text, "/fuzz/p.yaml", "p"))


@given(st.text(max_size=400))
def test_any_text(text: str) -> None:
    with scratch():
        read(text)


@given(soup(TOKENS, nests=(("[", "]"), ("{a: ", "}"), ("- ", ""))))
def test_yaml_token_soup(text: str) -> None:
    with scratch():
        read(text)


@given(profile_data, st.booleans())
def test_profile_shaped_data(doc: dict[str, object], flow: bool) -> None:
    text = yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=True)
    with scratch():
        read(text)


@given(st.binary(max_size=300), st.lists(st.sampled_from(TOKENS), max_size=10))
def test_profile_files_as_bytes(prefix: bytes, tokens: list[str]) -> None:
    """Through the file reader and the include resolver: any bytes, an exit code."""
    with scratch() as root:
        path = root / "p.yaml"
        path.write_bytes(prefix + "".join(tokens).encode("utf-8", "surrogatepass"))
        resolver = Resolver((root,), root)
        own_errors_only(lambda: resolver.resolve(ProfileRef("p", path, "yaml")))
