"""Unit tests for the distrobox-assemble ini reader and writer (research notes §1.2-§1.7)."""

from __future__ import annotations

import os
import re
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from envman.errors import EnvmanError, ExitCode, ProfileSchemaError, ProfileSyntaxError
from envman.profile.ini_format import read_ini_profiles, write_ini_profiles
from envman.profile.model import DistroboxCompat, Exports, FileLine, Hook, Integration, Profile
from envman.profile.resolver import Resolver, refs_in_file

DATA = Path(__file__).parent.parent / "data" / "ini"
GOLDEN = Path(__file__).parent.parent / "golden" / "ini"
FIXTURES = sorted(p.name for p in DATA.glob("*.ini"))


def read(text: str, **kwargs: str) -> list[Profile]:
    return read_ini_profiles(textwrap.dedent(text), "t.ini", **kwargs)


def one(text: str, **kwargs: str) -> Profile:
    [profile] = read(text, **kwargs)
    return profile


def fails(
    text: str, exc: type[EnvmanError], line: int, key: str, *, hint: bool = True
) -> EnvmanError:
    """The error of `text`: class, exit code, 'file:line: key:' prefix, and a hint (own checks)."""
    with pytest.raises(EnvmanError) as info:
        read(text)
    err = info.value
    assert type(err) is exc, err.message
    assert err.exit_code == exc.exit_code
    assert err.message.startswith(f"t.ini:{line}: {key}: "), err.message
    assert err.hint or not hint, err.message
    return err


def norm(profile: Profile) -> Profile:
    """Profile equality compares origin (the model's choice); round trips compare content only."""
    return replace(profile, origin=FileLine("-"), includes=())


def resolved(path: Path) -> list[Profile]:
    """Every section of a fixture with includes merged, as the store hands them to the writer."""
    resolver = Resolver((path.parent,), path.parent)
    return [resolver.resolve(ref) for ref in refs_in_file(path)]


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("ENVMAN_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text


# --- documentation examples (§1.7) -------------------------------------------------------------


def test_docs_example_reads_two_profiles() -> None:
    ubuntu, arch = read_ini_profiles((DATA / "docs_example.ini").read_text(), "docs.ini")
    assert (ubuntu.name, ubuntu.origin, arch.name, arch.origin) == (
        "ubuntu",
        FileLine("docs.ini", 1),
        "arch",
        FileLine("docs.ini", 12),
    )
    assert ubuntu.format == arch.format == "ini"
    assert ubuntu.image == "ubuntu:latest"
    assert ubuntu.packages == ("git", "vim", "tmux", "nodejs")
    assert ubuntu.integration == Integration(init=False, nvidia=False, root=False)
    assert (ubuntu.distrobox.pull, ubuntu.distrobox.replace, ubuntu.distrobox.start_now) == (
        True,
        True,
        False,
    )
    assert arch.integration.custom_home == "/tmp/home" and arch.integration.home is True
    assert arch.integration.nvidia is True
    assert arch.volumes == ("/tmp/test:/run/a", "/tmp/test:/run/b")
    assert [(h.stage, h.sh, h.when) for h in arch.hooks] == [
        ("before-packages", "touch /pre-init", "build"),
        ("after-packages", "touch /init-normal", "build"),
    ]
    assert [h.origin for h in arch.hooks] == [FileLine("docs.ini", 20), FileLine("docs.ini", 18)]


def test_docs_include_example_keeps_names_and_accumulates_lists() -> None:
    ubuntu, nvidia = read_ini_profiles((DATA / "docs_include.ini").read_text(), "inc.ini")
    assert ubuntu.packages == ("git", "vim", "tmux", "nodejs", "htop", "iftop", "iotop")
    assert nvidia.includes == ("ubuntu",)
    assert nvidia.integration.nvidia is True and nvidia.image is None
    assert not nvidia.warnings


def test_store_resolves_the_include_example() -> None:
    _, nvidia = resolved(DATA / "docs_include.ini")
    assert nvidia.image == "ubuntu:latest" and nvidia.integration.nvidia is True
    assert len(nvidia.packages) == 7


# --- every key (§1.2) --------------------------------------------------------------------------


def test_every_key_maps_onto_the_model() -> None:
    p = read_ini_profiles((DATA / "all_keys.ini").read_text(), "all.ini")[0]
    assert p.image == "registry.fedoraproject.org/fedora-toolbox:41"
    assert p.distrobox.clone == "old-box"
    assert p.integration.custom_home == "~/boxes/everything"
    assert p.hostname == "everything.box"
    assert p.packages == ("git", "vim", "htop")
    assert p.podman_args == ("--device", "/dev/dri")
    assert p.volumes == ("/srv/data:/data:ro",)  # distrobox 1.x ignores `volumes=`
    assert [h.sh for h in p.hooks] == ["mkdir -p /opt/tools", "touch /init-done"]
    assert p.exports == Exports(
        ("org.gnome.Calculator", "htop"), ("/usr/bin/htop", "/usr/bin/git"), "$HOME/.local/bin"
    )
    assert (p.distrobox.entry, p.distrobox.start_now, p.distrobox.pull, p.distrobox.replace) == (
        False,
        True,
        True,
        False,
    )
    assert (p.integration.init, p.integration.nvidia, p.integration.root) == (True, False, False)
    assert p.integration.unshare == ("ipc", "netns", "process", "devsys", "groups", "all")


def test_include_is_repeatable_and_ordered() -> None:
    child = read_ini_profiles((DATA / "all_keys.ini").read_text(), "all.ini")[2]
    assert child.includes == ("base", "everything")


def test_sections_become_profiles_in_file_order() -> None:
    profiles = read("""\
        [b]
        image=alpine

        [a]

        [c]
        image=debian
        """)
    assert [(p.name, p.origin.line) for p in profiles] == [("b", 1), ("a", 4), ("c", 6)]
    assert profiles[1] == Profile("a", FileLine("t.ini", 4), format="ini")


def test_empty_file_has_no_profiles() -> None:
    assert read("") == [] and read("# only a comment\n\n") == []


def test_crlf_line_endings() -> None:
    p = one("[a]\r\nimage=alpine\r\ninit=true\r\n")
    assert p.image == "alpine" and p.integration.init is True


def test_booleans_accept_one_and_zero() -> None:
    p = one("[a]\ninit=1\nroot=0\n")
    assert (p.integration.init, p.integration.root) == (True, False)


def test_unset_unshare_false_is_not_listed() -> None:
    assert one("[a]\nunshare_ipc=false\nunshare_netns=true\n").integration.unshare == ("netns",)


# --- layout, comments, quoting (§1.3, §1.4) -----------------------------------------------------


def test_layout_fixture_quirks_that_both_versions_agree_on() -> None:
    spaced, second = read_ini_profiles((DATA / "layout.ini").read_text(), "l.ini")
    assert spaced.name == "spaced" and second.name == "second"
    assert spaced.packages == ("git", "curl", "wget")
    assert spaced.integration.custom_home == "$HOME/boxes/spaced"
    assert spaced.volumes == ("~/work:/work", "/srv/x:/x:rw")
    assert spaced.exports.bins == ("/usr/bin/htop",) and spaced.hostname == "spaced"
    assert spaced.integration.nvidia is False and spaced.integration.init is False
    assert spaced.warnings == (
        "l.ini:3: image: distrobox 1.x keeps the space before the value "
        "(' alpine:3.20'); envman reads it without; write key=value",
    )


def test_section_name_is_trimmed_and_may_carry_a_comment() -> None:
    assert [p.name for p in read("[ a ]\n[b] # note\n[c]#note\n")] == ["a", "b", "c"]


def test_inline_comment_after_a_space_ends_the_value() -> None:
    p = one("[a]\nimage=alpine # the image\nadditional_packages=git vim  # tools\n")
    assert p.image == "alpine" and p.packages == ("git", "vim")


def test_tab_before_comment_counts_as_space() -> None:
    assert one("[a]\nimage=alpine\t# c\n").image == "alpine"


def test_one_pair_of_quotes_is_stripped() -> None:
    p = one("""\
        [a]
        image="alpine"
        hostname='box'
        init_hooks='echo "hi"'
        """)
    assert (p.image, p.hostname, p.hooks[0].sh) == ("alpine", "box", 'echo "hi"')


def test_spaced_false_is_accepted_and_lists_ignore_the_space() -> None:
    p = one("[a]\ninit = false\nnvidia= 0\nadditional_packages = git\n")
    assert p.integration.init is False and p.integration.nvidia is False
    assert p.packages == ("git",) and not p.warnings


SYNTAX_ERRORS = [
    ("no equals sign", "[a]\nimage\n", 2, "line"),
    ("colon delimiter (2.x only)", "[a]\nimage: alpine\n", 2, "line"),
    ("semicolon comment line", "[a]\n; comment\n", 2, "line"),
    ("indented header", "[a]\n  [b]\n", 2, "section"),
    ("duplicate section", "[a]\nimage=x\n[a]\n", 3, "section"),
    ("byte-order mark", "\ufeff[a]\n", 1, "file"),
    ("NUL byte", "[a]\nimage=a\0b\n", 2, "line"),
]


@pytest.mark.parametrize(
    ("text", "line", "key"), [c[1:] for c in SYNTAX_ERRORS], ids=[c[0] for c in SYNTAX_ERRORS]
)
def test_structure_errors(text: str, line: int, key: str) -> None:
    fails(text, ProfileSyntaxError, line, key)


def test_duplicate_section_names_both_lines() -> None:
    err = fails("[a]\nimage=x\n[a]\n", ProfileSyntaxError, 3, "section")
    assert "line 1" in err.message


SCHEMA_ERRORS = [
    ("unknown key", "[a]\nimag=alpine\n", 2, "imag"),
    ("wrong case key", "[a]\nImage=alpine\n", 2, "Image"),
    ("bad section name", "[a/b]\n", 1, "section"),
    ("semicolon in the header name", "[a] ; comment\n", 1, "section"),
    ("include with a comment", "[b]\n[a]\ninclude=b # base\n", 3, "include"),
    ("include with a space", "[b]\n[a]\ninclude = b\n", 3, "include"),
    ("include of an inexact header", "[ b ]\n[a]\ninclude=b\n", 3, "include"),
    ("semicolon in a value", "[a]\nimage=alp;ine\n", 2, "image"),
    ("hook starting a comment", "[a]\ninit_hooks=#make\n", 2, "init_hooks"),
    ("quoted after a space", '[a]\nimage = "alpine"\n', 2, "image"),
    ("unbalanced quote", '[a]\nimage="alpine\n', 2, "image"),
    ("quote not at the end", '[a]\ninit_hooks="echo" hi\n', 2, "init_hooks"),
    ("quotes inside quotes", '[a]\nexported_apps="htop" "vim"\n', 2, "exported_apps"),
    ("hash as first character", "[a]\nimage=#alpine\n", 2, "image"),
    ("semicolon in a non-hook", "[a]\nimage=alpine;\n", 2, "image"),
    ("semicolon glued to a comment", "[a]\ninit_hooks=make;# c\n", 2, "init_hooks"),
    ("command substitution", "[a]\nhostname=$(hostname)\n", 2, "hostname"),
    ("backticks", "[a]\nhome=/home/`whoami`\n", 2, "home"),
    ("variable", "[a]\nimage=$IMAGE\n", 2, "image"),
    ("braced variable", "[a]\nhome=${XDG_DATA_HOME}/box\n", 2, "home"),
    ("HOME outside home keys", "[a]\nexported_bins=$HOME/bin/x\n", 2, "exported_bins"),
    ("HOME not at the start", "[a]\nvolume=/x:$HOME/y\n", 2, "volume"),
    ("HOMEDIR is not HOME", "[a]\nhome=$HOMEDIR/box\n", 2, "home"),
    ("shell character", '[a]\nhome="/srv/a (b)"\n', 2, "home"),
    ("backslash", "[a]\nvolume=/a\\ b:/b\n", 2, "volume"),
    ("repeated scalar", "[a]\nimage=alpine\nimage=fedora\n", 3, "image"),
    ("hook ends with &", "[a]\ninit_hooks=sleep 1 &\n", 2, "init_hooks"),
    ("hook ends with pipe", "[a]\ninit_hooks=cat /x |\n", 2, "init_hooks"),
    ("last hook line ends in &&", "[a]\ninit_hooks=true\ninit_hooks=make &&\n", 3, "init_hooks"),
    ("unbalanced quote in hook", '[a]\npre_init_hooks=echo "a\n', 2, "pre_init_hooks"),
    ("flags operator", "[a]\nadditional_flags=--label=a|b\n", 2, "additional_flags"),
    ("flags variable", "[a]\nadditional_flags=--env PATH=$PATH\n", 2, "additional_flags"),
    ("flags tilde", "[a]\nadditional_flags=--device ~/x\n", 2, "additional_flags"),
    ("flags unbalanced", '[a]\nadditional_flags=--env "A=b\n', 2, "additional_flags"),
    ("flag without value", "[a]\nadditional_flags=--env\n", 2, "additional_flags"),
    ("bad image", "[a]\nimage=-alpine\n", 2, "image"),
    ("bad package", "[a]\nadditional_packages=git --force\n", 2, "additional_packages"),
    ("bad hostname", "[a]\nhostname=-box\n", 2, "hostname"),
    ("bad clone", "[a]\nclone=a/b\n", 2, "clone"),
    ("bad include", "[a]\ninclude=a/b\n", 2, "include"),
]


@pytest.mark.parametrize(
    ("text", "line", "key"), [c[1:] for c in SCHEMA_ERRORS], ids=[c[0] for c in SCHEMA_ERRORS]
)
def test_value_errors(text: str, line: int, key: str) -> None:
    fails(text, ProfileSchemaError, line, key)


# --- read as distrobox 1.x reads it, with a warning saying what 2.x reads -------------------------

SEED = """\
[ansible]
image=registry.fedoraproject.org/fedora-toolbox:41
additional_packages="git bash-completion vim python3-pip"
init_hooks="pip3 install ansible-core==2.17.*;"
"""


def test_the_seed_profile_is_read_as_distrobox_1_reads_it() -> None:
    [p] = read_ini_profiles(SEED, "seed.ini")
    assert p.image == "registry.fedoraproject.org/fedora-toolbox:41"
    assert p.packages == ("git", "bash-completion", "vim", "python3-pip")
    assert [(h.sh, h.stage) for h in p.hooks] == [
        ("pip3 install ansible-core==2.17.*;", "after-packages")
    ]
    assert p.warnings == (
        "seed.ini:4: init_hooks: distrobox 2.x reads '\"pip3 install ansible-core==2.17.*'; "
        "1.x (and envman) 'pip3 install ansible-core==2.17.*;'; portable spelling (what "
        "`envman profile export --ini` writes): `init_hooks=pip3 install ansible-core==2.17.*;`",
    )


def test_the_portable_spelling_is_what_export_writes_and_reads_back_quietly() -> None:
    [p] = read_ini_profiles(SEED, "seed.ini")
    text, _ = write_ini_profiles([p])
    assert "\ninit_hooks=pip3 install ansible-core==2.17.*;\n" in text
    [again] = read_ini_profiles(text, "again.ini")
    assert again.hooks == tuple(replace(h, origin=again.hooks[0].origin) for h in p.hooks)
    assert again.warnings == ()


def attr(profile: Profile, path: str) -> object:
    value: object = profile
    for part in path.split("."):
        value = getattr(value, part)
    return value


# (case, text, what to look at, what 1.x reads, the warning's start, words in it)
ONE_X_READINGS = [
    ("key before section", "image=alpine\n[a]\n", "image", "alpine", "1: image", "[a]"),
    ("empty key", "[a]\n=alpine\n", "image", None, "2: line", "ignores the line"),
    ("unclosed header", "[a\n", "name", "a", "1: section", "2.x rejects the header"),
    ("text after header", "[a] extra\n", "name", "aextra", "1: section", "reads the name [a]"),
    ("bracket in header comment", "[a] # see [b]\n", "name", "a", "1: section", "[a] # see [b]"),
    ("spaces in a header", "[a b]\n", "name", "ab", "1: section", "[a b]"),
    ("DEFAULT section", "[DEFAULT]\n", "name", "DEFAULT", "1: section", "rename it"),
    ("empty value", "[a]\nimage=\n", "image", None, "2: image", "ignores the line"),
    ("empty quoted value", '[a]\nimage=""\n', "image", None, "2: image", "no value"),
    ("comment-only value", "[a]\nimage= # nothing\n", "image", None, "2: image", "no value"),
    ("bool True", "[a]\ninit=True\n", "integration.init", None, "2: init", "2.x as false"),
    ("bool yes", "[a]\nnvidia=yes\n", "integration.nvidia", None, "2: nvidia", "unset"),
    ("quoted bool", '[a]\npull="true"\n', "distrobox.pull", None, "2: pull", "2.x as true"),
    ("spaced true", "[a]\ninit = true\n", "integration.init", None, "2: init", "' true'"),
    ("spaced false entry", "[a]\nentry = false\n", "distrobox.entry", None, "2: entry", "unset"),
    (
        "repeated bool",
        "[a]\ninit=true\ninit=false\n",
        "integration.init",
        None,
        "3: init",
        "set again (line 2)",
    ),
    (
        "hash inside quotes",
        '[a]\ninit_hooks="echo a # b"\n',
        "hooks.0.sh",
        "echo a",
        "2: init_hooks",
        "2.x reads '\"echo a'",
    ),
    (
        "hash right after text",
        "[a]\nexported_bins_path=/opt/#bin\n",
        "exports.bins_path",
        "/opt/#bin",
        "2: exported_bins_path",
        "2.x reads '/opt/'",
    ),
    (
        "semicolon inside a line",
        "[a]\ninit_hooks=cd /x; make\n",
        "hooks.0.sh",
        "cd /x; make",
        "2: init_hooks",
        "`init_hooks=cd /x;` + `init_hooks=make`",
    ),
    (
        "semicolon inside quotes",
        '[a]\ninit_hooks="make;"\n',
        "hooks.0.sh",
        "make;",
        "2: init_hooks",
        "`init_hooks=make;`",
    ),
    (
        "bracket before hash",
        "[a]\ninit_hooks=[ -d /x ] || mkdir /x # c\n",
        "hooks.0.sh",
        "[ -d /x",
        "2: init_hooks",
        "2.x reads '[ -d /x ] || mkdir /x'",
    ),
    (
        "backtick-quoted value",
        "[a]\ninit_hooks=`date`\n",
        "hooks.0.sh",
        "`date`",
        "2: init_hooks",
        "no spelling reads alike",
    ),
    (
        "triple-quoted value",
        '[a]\ninit_hooks="""date"""\n',
        "hooks.0.sh",
        '""date""',
        "2: init_hooks",
        "2.x reads 'date'",
    ),
    (
        "line continuation",
        "[a]\ninit_hooks=apt-get install \\\n",
        "hooks.0.sh",
        "apt-get install \\",
        "2: init_hooks",
        "next lines",
    ),
    (
        "flags tilde volume",
        "[a]\nadditional_flags=-v ~/x:/x\n",
        "volumes",
        ("~/x:/x",),
        "2: additional_flags",
        "`volume=~/x:/x`",
    ),
    (
        "flags backslash",
        "[a]\nadditional_flags=--env A=b\\c\n",
        "env",
        (("A", "bc"),),
        "2: additional_flags",
        '`additional_flags="--env A=bc"`',
    ),
    (
        "spaces inside a key",
        "[a]\ninit _hooks=make\n",
        "hooks.0.sh",
        "make",
        "2: init_hooks",
        "'init _hooks'",
    ),
]


@pytest.mark.parametrize(
    ("text", "path", "value", "where", "words"),
    [c[1:] for c in ONE_X_READINGS],
    ids=[c[0] for c in ONE_X_READINGS],
)
def test_what_distrobox_1_reads_clearly_is_read_with_a_warning(
    text: str, path: str, value: object, where: str, words: str
) -> None:
    p = one(text)
    parts = path.split(".")
    if parts[0] == "hooks":
        assert p.hooks[int(parts[1])].sh == value
    else:
        assert attr(p, path) == value
    first = next(w for w in p.warnings if w.startswith(f"t.ini:{where}: "))
    assert words in first, first


def test_padding_inside_quotes_is_kept_as_both_versions_keep_it() -> None:
    p = one('[a]\nhome="/srv/box "\n')
    assert p.integration.custom_home == "/srv/box " and p.warnings == ()


@pytest.mark.parametrize(
    ("text", "value"), [("root= 1", True), ('pull="1"', True), ("init=0", False)]
)
def test_numbers_are_booleans_for_both_versions(text: str, value: bool) -> None:
    p = one(f"[a]\n{text}\n")
    assert value in (p.integration.root, p.distrobox.pull, p.integration.init)
    assert p.warnings == ()


def test_include_after_hooks_warns_about_the_order() -> None:
    [_, a] = read("[b]\ninit_hooks=echo b\n[a]\ninit_hooks=echo a\ninclude=b\n")
    assert a.includes == ("b",)
    assert a.warnings[0].startswith("t.ini:5: include: distrobox 1.x puts [b]'s lines here")


# validate.py's own messages; some of them carry no hint
VALIDATOR_ERRORS = [
    ("flag volume invalid", "[a]\nadditional_flags=-v /only\n", 2, "additional_flags"),
    ("flag env name invalid", "[a]\nadditional_flags=--env 1A=b\n", 2, "additional_flags"),
    ("bad volume", "[a]\nvolume=/only\n", 2, "volume"),
    ("bad app", "[a]\nexported_apps=/usr/bin/htop\n", 2, "exported_apps"),
    ("relative bin", "[a]\nexported_bins=htop\n", 2, "exported_bins"),
    ("relative bins path", "[a]\nexported_bins_path=bin\n", 2, "exported_bins_path"),
]


@pytest.mark.parametrize(
    ("text", "line", "key"), [c[1:] for c in VALIDATOR_ERRORS], ids=[c[0] for c in VALIDATOR_ERRORS]
)
def test_validator_errors(text: str, line: int, key: str) -> None:
    fails(text, ProfileSchemaError, line, key, hint=False)


def test_error_exit_codes() -> None:
    assert ProfileSyntaxError.exit_code == ExitCode.PROFILE_SYNTAX
    assert ProfileSchemaError.exit_code == ExitCode.PROFILE_SCHEMA


def test_unknown_key_suggests_the_closest() -> None:
    err = fails("[a]\nadditional_package=git\n", ProfileSchemaError, 2, "additional_package")
    assert err.hint == "did you mean 'additional_packages'?"


def test_unknown_key_without_a_close_match_lists_the_keys() -> None:
    err = fails("[a]\nzzz=1\n", ProfileSchemaError, 2, "zzz")
    assert "exported_bins_path" in (err.hint or "")


def test_repeated_scalar_names_both_lines() -> None:
    err = fails("[a]\nimage=alpine\n\nimage=fedora\n", ProfileSchemaError, 4, "image")
    assert "line 2" in err.message and "¤" in (err.hint or "")


def test_expansion_error_explains_both_versions() -> None:
    err = fails("[a]\nimage=$IMAGE\n", ProfileSchemaError, 2, "image")
    assert "1.x expands" in (err.hint or "")


# --- home prefixes ------------------------------------------------------------------------------


@pytest.mark.parametrize("home", ["~", "~/box", "$HOME/box", "${HOME}/box", "$HOME", "/srv/home"])
def test_home_prefixes_stay_symbolic(home: str) -> None:
    p = one(f"[a]\nhome={home}\nvolume={home}:/mnt\nexported_bins_path={home}\n")
    assert p.integration.custom_home == home and p.volumes == (f"{home}:/mnt",)
    assert p.exports.bins_path == home


def test_quoted_tilde_warns_about_distrobox_1() -> None:
    p = one('[a]\nhome="~/boxes/a"\n')
    assert p.warnings == (
        "t.ini:2: home: distrobox 1.x does not expand a quoted '~' (#1154); envman does",
    )


def test_single_quoted_home_variable_warns() -> None:
    assert "single quotes" in one("[a]\nhome='$HOME/a'\n").warnings[0]


# --- hooks (§1.3.6) -----------------------------------------------------------------------------


def test_hook_chaining_fixture() -> None:
    [p] = read_ini_profiles((DATA / "hooks.ini").read_text(), "h.ini")
    assert [(h.stage, h.sh, h.origin.line if h.origin else 0) for h in p.hooks] == [
        ("before-packages", "dnf -y install golang &&\ngo version", 4),
        (
            "after-packages",
            "ln -sf /usr/bin/distrobox-host-exec /usr/local/bin/podman;\n"
            "ln -sf /usr/bin/distrobox-host-exec /usr/local/bin/docker;\n"
            "ln -sf /usr/bin/distrobox-host-exec /usr/local/bin/flatpak",
            6,
        ),
        ("after-packages", "touch /tmp/second-hook", 9),
        ("after-packages", 'echo "third hook" > /tmp/third &&\nchmod 0644 /tmp/third', 11),
        ("after-packages", "test -d /opt || mkdir /opt", 13),
    ]
    assert all(h.when == "build" and h.kind == "sh" for h in p.hooks)


def test_hook_warnings_are_located() -> None:
    [p] = read_ini_profiles((DATA / "hooks.ini").read_text(), "h.ini")
    assert p.warnings == (
        "h.ini:6: init_hooks: distrobox 2.x reads ';' as a comment: it drops it and joins the next "
        "line with '&&' (stopping at a failure; 1.x goes on)",
    )


@pytest.mark.parametrize(
    ("hooks", "warned"),
    [
        (['echo "a b" > /x'], False),  # 1.x wraps the joined hooks in '...': kept as written
        (["echo 'a b'"], False),  # ... or in "...": single quotes are kept too
        (['echo "a"', "echo 'b'"], True),  # a ' inside the '...' breaks it
        (["echo $HOME"], True),  # "...": expanded on the host
        (["echo `id`"], True),
    ],
)
def test_hooks_warn_only_where_1x_evaluation_changes_them(hooks: list[str], warned: bool) -> None:
    text = "[a]\n" + "".join(f"init_hooks={h}\n" for h in hooks)
    p = one(text)
    assert any("evaluates hooks once more" in w for w in p.warnings) == warned


def test_trailing_semicolon_chain_ends_the_hook_list() -> None:
    p = one("[a]\ninit_hooks=a;\n")
    assert [h.sh for h in p.hooks] == ["a;"]


def test_hook_chains_ignore_other_keys_in_between() -> None:
    p = one("[a]\ninit_hooks=a &&\nimage=alpine\ninit_hooks=b\npre_init_hooks=c\n")
    assert [(h.stage, h.sh) for h in p.hooks] == [
        ("before-packages", "c"),
        ("after-packages", "a &&\nb"),
    ]


def test_hooks_may_be_read_as_start_hooks() -> None:
    p = one("[a]\npre_init_hooks=a\ninit_hooks=b\n", hooks_when="start")
    assert [(h.when, h.stage) for h in p.hooks] == [
        ("start", "before-packages"),
        ("start", "after-packages"),
    ]


def test_hooks_when_must_be_build_or_start() -> None:
    with pytest.raises(ValueError, match="hooks_when"):
        read("[a]\n", hooks_when="host")


def test_hook_text_keeps_variables_for_the_container() -> None:
    p = one("[a]\ninit_hooks=echo $HOME > /tmp/home\ninit_hooks=echo `id`\n")
    assert [h.sh for h in p.hooks] == ["echo $HOME > /tmp/home", "echo `id`"]
    assert len(p.warnings) == 1 and "evaluates hooks once more" in p.warnings[0]


# --- additional_flags ---------------------------------------------------------------------------


def test_flags_fixture_splits_env_volumes_and_podman_args() -> None:
    [p] = read_ini_profiles((DATA / "flags.ini").read_text(), "f.ini")
    assert p.env == (
        ("LANG", "C.UTF-8"),
        ("EDITOR", "vim"),
        ("PAGER", "less"),
        ("GREETING", "hello world"),
    )
    assert p.volumes == ("/srv/cache:/cache", "/srv/a:/a:ro,z", "/srv/b:/b", "/srv/c:/c")
    assert p.podman_args == (
        "--device",
        "/dev/dri",
        "--security-opt",
        "label=disable",
        "--env",
        "SSH_AUTH_SOCK",
        "--cap-add=SYS_PTRACE",
    )
    assert p.warnings == (
        "f.ini:7: additional_flags: distrobox 2.x splits flags on whitespace, "
        "so quoted values break there",
    )


def test_flag_env_without_value_keeps_podman_meaning() -> None:
    assert one("[a]\nadditional_flags=--env=TERM\n").podman_args == ("--env", "TERM")


# --- other warnings -----------------------------------------------------------------------------


def test_volumes_key_warns_that_distrobox_1_ignores_it() -> None:
    p = one("[a]\nvolumes=/a:/b\n")
    assert p.volumes == ()
    assert p.warnings == (
        "t.ini:2: volumes: distrobox 1.x ignores 'volumes' (envman too), 2.x mounts it; "
        "portable spelling: `volume=/a:/b`",
    )


def test_include_of_a_section_elsewhere_warns() -> None:
    p = one("[a]\ninclude=common\n")
    assert p.includes == ("common",)
    assert p.warnings[0].startswith("t.ini:2: include: no [common] in this file")


def test_replace_true_warns_about_leakage() -> None:
    assert "sections after this one" in one("[a]\nreplace=true\n").warnings[0]


def test_every_warning_starts_with_file_and_line() -> None:
    for name in FIXTURES:
        for profile in read_ini_profiles((DATA / name).read_text(), name):
            for warning in profile.warnings:
                assert re.match(rf"{re.escape(name)}:\d+: \w+: ", warning), warning


def test_store_lists_every_section(tmp_path: Path) -> None:
    path = tmp_path / "boxes.ini"
    path.write_text((DATA / "docs_example.ini").read_text())
    assert [(r.name, r.section, r.format) for r in refs_in_file(path)] == [
        ("ubuntu", "ubuntu", "ini"),
        ("arch", "arch", "ini"),
    ]


# --- writer -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURES)
def test_export_golden(name: str) -> None:
    text, warnings = write_ini_profiles(resolved(DATA / name))
    check_golden(name, text)
    assert all(": " in w for w in warnings)


@pytest.mark.parametrize("name", FIXTURES)
def test_round_trip(name: str) -> None:
    profiles = resolved(DATA / name)
    text, _ = write_ini_profiles(profiles)
    again = read_ini_profiles(text, "again.ini")
    assert [norm(p) for p in again] == [norm(p) for p in profiles]


@pytest.mark.parametrize("name", FIXTURES)
def test_round_trip_of_raw_sections_without_includes(name: str) -> None:
    raw = [p for p in read_ini_profiles((DATA / name).read_text(), name) if not p.includes]
    text, _ = write_ini_profiles(raw)
    assert [norm(p) for p in read_ini_profiles(text, "again.ini")] == [norm(p) for p in raw]


def test_round_trip_of_start_hooks() -> None:
    profiles = read_ini_profiles((DATA / "hooks.ini").read_text(), "h.ini", hooks_when="start")
    text, _ = write_ini_profiles(profiles)
    assert [norm(p) for p in read_ini_profiles(text, "x", hooks_when="start")] == [
        norm(p) for p in profiles
    ]


def envman_profile() -> Profile:
    """A profile as envman's YAML reader would give it, using what the ini cannot express."""
    return Profile(
        name="dev",
        origin=FileLine("dev.yaml", 1),
        version="2.1",
        description="Development tools.\nWith a second line.",
        image="registry.fedoraproject.org/fedora-toolbox:41",
        packages=("gcc", "make"),
        containerfile="Containerfile",
        build_steps=("RUN true",),
        env=(("EDITOR", "vim"), ("GREETING", "hello world"), ("EMPTY", "")),
        volumes=("~/src:/src:z",),
        hooks=(
            Hook(sh="cd /opt; make install"),
            Hook(
                run=("dnf", "-y", "install", "git"), env=(("LANG", "C"),), stage="before-packages"
            ),
            Hook(when="start", sh="test -e /run/x || touch /run/x"),
            Hook(when="create", run=("true",)),
            Hook(when="host", run=("notify-send", "hi")),
            Hook(script="hooks/setup.sh"),
            Hook(sh="echo hi", env=(("A", "b"),)),
        ),
        exports=Exports(apps=("org.gnome.Calculator",), bins=("/usr/bin/make",)),
        integration=Integration(
            home=True,
            custom_home="$HOME/boxes/dev",
            display=False,
            ssh_agent=False,
            nvidia=True,
            unshare=("ipc", "groups"),
        ),
        hostname="dev",
        podman_args=("--device", "/dev/dri", "--label", "x=a b"),
        distrobox=DistroboxCompat(entry=False),
    )


def test_export_of_an_envman_profile_golden() -> None:
    text, warnings = write_ini_profiles([envman_profile()])
    check_golden("envman_profile.ini", text)
    assert warnings == [
        "dev: hostname: needs distrobox >= 1.7.2",
        "dev: unshare_groups: needs distrobox >= 1.8.2",
        "dev: additional_flags: distrobox 2.x splits flags on whitespace, which breaks "
        "--env 'GREETING=hello world'",
        "dev: additional_flags: distrobox 2.x splits flags on whitespace, which breaks "
        "--device /dev/dri --label 'x=a b'",
        "dev: init_hooks: skipped a create hook: distrobox has no create-time hooks, and it runs "
        "init_hooks at every start",
        "dev: init_hooks: skipped a host hook: distrobox hooks run inside the container, never on "
        "the host",
        "dev: init_hooks: skipped a script hook: a hook script file cannot be carried in the ini",
        "dev: init_hooks: skipped an sh hook with env: distrobox hooks have no environment",
        "dev: hooks: distrobox runs pre_init_hooks and init_hooks at every container start; envman "
        "runs build hooks once",
        "dev: hooks: distrobox 2.x drops a final ';' and joins the next line with '&&'",
        "dev: exported_apps: needs distrobox >= 1.6",
        "dev: exported_bins: needs distrobox >= 1.6",
        "dev: integration.display: distrobox always shares it with the host",
        "dev: integration.ssh_agent: distrobox always shares it with the host",
        "dev: build.containerfile: the ini cannot build it; distrobox uses the image",
        "dev: build.steps: the ini has no build steps; distrobox uses the image as is",
        "dev: version: kept only as a comment",
        "dev: description: kept only as a comment",
    ]


def test_export_reads_back_with_the_same_meaning() -> None:
    text, _ = write_ini_profiles([envman_profile()])
    [p] = read_ini_profiles(text, "dev.ini")
    assert p.env == (("EDITOR", "vim"), ("GREETING", "hello world"), ("EMPTY", ""))
    assert p.podman_args == ("--device", "/dev/dri", "--label", "x=a b")
    assert [(h.stage, h.sh) for h in p.hooks] == [
        ("before-packages", "env LANG=C dnf -y install git"),
        ("after-packages", "cd /opt;\nmake install"),
        ("after-packages", "test -e /run/x || touch /run/x"),
    ]
    assert p.integration.custom_home == "$HOME/boxes/dev" and p.integration.unshare == (
        "ipc",
        "groups",
    )


def test_export_layout_rules() -> None:
    text, _ = write_ini_profiles([envman_profile()])
    for line in text.splitlines():
        if line and not line.startswith(("#", "[")):
            assert re.fullmatch(r"[a-z_]+=\S.*", line), line
        if line.startswith("["):
            assert line == "[dev]"
    assert "init=" not in text  # unset switches are left out
    assert "entry=false" in text and "nvidia=true" in text


def test_export_of_nothing_is_the_header_only() -> None:
    text, warnings = write_ini_profiles([])
    assert text.startswith("# ") and text.count("\n") == 1 and warnings == []


def bare(**changes: object) -> Profile:
    return replace(Profile("p", FileLine("p.yaml", 1)), **changes)  # type: ignore[arg-type]


WRITE_ERRORS = [
    ("hash in a value", bare(hostname="a#b"), "hostname"),
    ("semicolon in a value", bare(env=(("A", "b;c"),)), "additional_flags"),
    ("variable in a value", bare(env=(("PATH", "$PATH:/x"),)), "additional_flags"),
    ("backtick in a value", bare(exports=Exports(bins_path="/x/`id`")), "exported_bins_path"),
    ("HOME in a non-home key", bare(exports=Exports(bins=("$HOME/bin",))), "exported_bins"),
    ("volume with a space", bare(volumes=("/a b:/c",)), "volume"),
    ("newline in a value", bare(podman_args=("--label", "a\nb")), "additional_flags"),
    ("backslash in a flag", bare(podman_args=("a\\b",)), "additional_flags"),
    ("shell character", bare(integration=Integration(custom_home="/a|b")), "home"),
    ("padded value", bare(hostname=" box"), "hostname"),
    ("both quote kinds", bare(podman_args=('it\'s "x"',)), "additional_flags"),
    ("hash in a hook", bare(hooks=(Hook(sh="echo '#'"),)), "init_hooks"),
    ("semicolon in quotes", bare(hooks=(Hook(sh="echo 'a;b'"),)), "init_hooks"),
    ("double semicolon", bare(hooks=(Hook(sh="case x in x) y;; esac"),)), "init_hooks"),
    ("hook continuation", bare(hooks=(Hook(sh="make \\"),)), "init_hooks"),
    ("hook ends in &&", bare(hooks=(Hook(sh="make &&"),)), "init_hooks"),
    ("hook ends in &", bare(hooks=(Hook(sh="sleep 9 &"),)), "init_hooks"),
    ("unbalanced hook", bare(hooks=(Hook(sh="echo 'a"),)), "init_hooks"),
    (
        "backtick hook start",
        bare(hooks=(Hook(sh="`x`", stage="before-packages"),)),
        "pre_init_hooks",
    ),
    ("multi-line sh hook", bare(hooks=(Hook(sh="if true\nthen echo\nfi"),)), "init_hooks"),
    ("quoted start and semicolon", bare(hooks=(Hook(sh='"$x" a;'),)), "init_hooks"),
    ("hook with a run semicolon", bare(hooks=(Hook(run=("sh", "-c", "a; b")),)), "init_hooks"),
    ("DEFAULT name", bare(name="DEFAULT"), "name"),
]


@pytest.mark.parametrize(
    ("profile", "key"), [c[1:] for c in WRITE_ERRORS], ids=[c[0] for c in WRITE_ERRORS]
)
def test_export_refuses_what_distrobox_would_misread(profile: Profile, key: str) -> None:
    with pytest.raises(ProfileSchemaError) as info:
        write_ini_profiles([profile])
    assert info.value.message.startswith(f"{profile.name}: {key}: "), info.value.message
    assert info.value.hint


def test_export_quotes_hook_lines_safely() -> None:
    hooks = (Hook(sh='echo "a b"'), Hook(sh="'quoted' start"), Hook(sh="plain"))
    text, _ = write_ini_profiles([bare(hooks=hooks)])
    assert "init_hooks='echo \"a b\"'\ninit_hooks=\"'quoted' start\"\ninit_hooks=plain\n" in text
    assert [h.sh for h in read_ini_profiles(text, "x")[0].hooks] == [h.sh for h in hooks]


def test_export_warns_when_a_semicolon_hook_joins_the_next() -> None:
    _, warnings = write_ini_profiles([bare(hooks=(Hook(sh="a;"), Hook(sh="b")))])
    assert "p: init_hooks: the hook ending in 'a;' joins the next one" in warnings[0]


def test_export_warns_for_home_false_and_replace() -> None:
    profile = bare(integration=Integration(home=False), distrobox=DistroboxCompat(replace=True))
    text, warnings = write_ini_profiles([profile])
    assert "replace=true" in text
    assert warnings == [
        "p: replace: distrobox 1.x (>= 1.8.0) also replaces the sections after this one; 2.x "
        "ignores the key",
        "p: integration.home: distrobox always mounts a home; false is lost",
    ]


def test_export_drops_includes_of_resolved_profiles() -> None:
    profiles = resolved(DATA / "docs_include.ini")
    text, _ = write_ini_profiles(profiles)
    assert "include" not in text
    assert read_ini_profiles(text, "x")[1].packages == profiles[1].packages
