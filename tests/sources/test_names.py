"""Pure logic of team sources: names, refs, addresses, URLs, registry and error classification."""

from __future__ import annotations

from pathlib import Path

import pytest

from envman.errors import (
    ExitCode,
    GitFailed,
    ProfileSchemaError,
    RefNotFound,
    SourceInvalid,
    SourceNameError,
    SourceNotFound,
    SourceUnreachable,
)
from envman.sources.git import last_line, remote_error
from envman.sources.names import (
    Address,
    check_ref,
    check_source_name,
    normalise_url,
    parse_address,
)
from envman.sources.registry import TeamSource, find_source, load_sources, save_sources
from envman.sources.tree import escaping_links
from envman.sources.trust import reason_from, signer_from


@pytest.mark.parametrize("name", ["team", "team-2", "a.b_c", "T0"])
def test_good_source_names(name: str) -> None:
    assert check_source_name(name) == name


@pytest.mark.parametrize("name", ["../x", "..", ".", "a/b", "/abs", ".hidden", "-x", "", "a b"])
def test_bad_source_names_are_refused_with_their_own_exit_code(name: str) -> None:
    with pytest.raises(SourceNameError) as info:
        check_source_name(name)
    assert info.value.exit_code == ExitCode.SOURCE_NAME
    assert info.value.hint and "'/'" in info.value.hint


@pytest.mark.parametrize("ref", ["v2.1", "main", "feature/x", "1a2b3c4", "release-1+build"])
def test_good_refs(ref: str) -> None:
    assert check_ref(ref, "team") == ref


@pytest.mark.parametrize(
    "ref",
    [
        "--upload-pack=touch x",  # an option, if it reached git's argv
        "-b",
        "",
        "a..b",
        "HEAD~1",
        "v1^{tree}",
        "main:profiles",
        "x.lock",
        "a//b",
        "a/.b",
        "trailing/",
        "end.",
        "sp ace",
        "@{u}",
    ],
)
def test_refs_that_could_be_options_or_revision_syntax_are_refused(ref: str) -> None:
    with pytest.raises(RefNotFound) as info:
        check_ref(ref, "team")
    assert info.value.exit_code == ExitCode.REF_NOT_FOUND


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        ("team/ansible", Address("team", "ansible")),
        ("team/ansible@v2.1", Address("team", "ansible", "v2.1")),
        ("team/ansible@feature/x", Address("team", "ansible", "feature/x")),
        ("team/ansible@", Address("team", "ansible", "")),
        ("ansible", None),  # a bare name: the lookup order
        ("./profiles/x.yaml", None),  # a path
        ("team/box.yaml", None),  # a file name: a path
        ("a/b/c", None),
        ("../x/y", None),
        ("/abs/x", None),
    ],
)
def test_parse_address(arg: str, expected: Address | None) -> None:
    assert parse_address(arg) == expected
    if expected is not None:
        assert str(expected) == arg.rstrip("@")


def test_urls_remote_kept_local_made_absolute(tmp_path: Path) -> None:
    assert normalise_url("https://example.com/t.git", tmp_path) == "https://example.com/t.git"
    assert normalise_url("git@example.com:team/p.git", tmp_path) == "git@example.com:team/p.git"
    assert normalise_url("ssh://git@h/x", tmp_path) == "ssh://git@h/x"
    assert normalise_url("repo", tmp_path) == str(tmp_path.resolve() / "repo")
    assert normalise_url("../r", tmp_path / "w") == str(tmp_path.resolve() / "r")


@pytest.mark.parametrize("url", ["--upload-pack=touch /tmp/x", "-u", "", " ", "ext::sh -c id"])
def test_urls_that_are_options_or_command_helpers_are_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(SourceInvalid) as info:
        normalise_url(url, tmp_path)
    assert info.value.exit_code == ExitCode.SOURCE_INVALID


@pytest.mark.parametrize(
    ("stderr", "kind"),
    [
        ("fatal: '/x' does not appear to be a git repository\n"
         "fatal: Could not read from remote repository.", SourceInvalid),
        ("fatal: repository '/tmp/none' does not exist", SourceInvalid),
        ("remote: Repository not found.\nfatal: repository 'https://h/x/' not found",
         SourceInvalid),
        ("fatal: unable to access 'http://127.0.0.1:1/x/': Failed to connect to 127.0.0.1 port 1",
         SourceUnreachable),
        ("ssh: Could not resolve hostname nowhere: Name or service not known\n"
         "fatal: Could not read from remote repository.", SourceUnreachable),
        ("git: timed out after 600.0s", SourceUnreachable),
        ("fatal: something new", GitFailed),
    ],
)  # fmt: skip
def test_remote_errors_are_classified(stderr: str, kind: type) -> None:
    error = remote_error(stderr, "URL", "source 'team'")
    assert type(error) is kind
    assert error.message.startswith("source 'team': ") and "\n" not in error.message


def test_last_line_prefers_the_cause_over_the_generic_ending() -> None:
    text = "ssh: connect to host h port 22: Connection refused\nfatal: Could not read from remote "
    assert last_line(text + "repository.") == "ssh: connect to host h port 22: Connection refused"
    assert last_line("") == "no message"


def test_signature_reasons_and_signers() -> None:
    assert "not marked as trusted" in reason_from(
        'Good "git" signature with ED25519 key SHA256:x\nNo principal matched.'
    )
    assert "bad signature" in reason_from(
        "Could not verify signature.\nSignature verification failed: incorrect signature"
    )
    assert "allowedSignersFile" in reason_from(
        "error: gpg.ssh.allowedSignersFile needs to be configured and exist for ssh signature"
    )
    assert reason_from("error: something else") == "something else"
    good = 'Good "git" signature for dev@example.com with ED25519 key SHA256:abc'
    assert signer_from(good) == "dev@example.com"
    assert signer_from('gpg: Good signature from "Dev <d@e>" [ultimate]') == "Dev <d@e>"
    assert signer_from("nothing") == ""


def test_registry_round_trip_keeps_order(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    assert load_sources(path) == []
    sources = [TeamSource("z", "https://h/z.git"), TeamSource("a", "/r", "v1", verify=True)]
    save_sources(path, sources)
    assert load_sources(path) == sources
    assert find_source(sources, "a").ref == "v1"
    with pytest.raises(SourceNotFound) as info:
        find_source(sources, "b")
    assert info.value.exit_code == ExitCode.SOURCE_NOT_FOUND and "z, a" in (info.value.hint or "")


def test_registry_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n- name: a\n  url: /r\n  verfy: true\n")
    with pytest.raises(ProfileSchemaError) as info:
        load_sources(path)
    assert info.value.message.startswith(f"{path}:4: sources[0].verfy: unknown key")
    path.write_text("sources:\n- name: a\n  url: /r\n- name: a\n  url: /s\n")
    with pytest.raises(ProfileSchemaError, match="listed twice"):
        load_sources(path)


def test_escaping_links_are_found(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "profiles").mkdir(parents=True)
    (root / "profiles" / "a.yaml").write_text("envman: 1\n")
    (root / "profiles" / "inside.yaml").symlink_to("a.yaml")
    (root / "profiles" / "dangling.yaml").symlink_to("missing.yaml")
    assert escaping_links(root) == []
    (root / "profiles" / "passwd.yaml").symlink_to("/etc/passwd")
    (root / "profiles" / "up").symlink_to("../..")
    assert sorted(str(p) for p, _ in escaping_links(root)) == [
        "profiles/passwd.yaml",
        "profiles/up",
    ]


def test_git_missing_is_its_own_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from envman import runner
    from envman.sources import git

    monkeypatch.setattr(runner, "which", lambda _: None)
    with pytest.raises(GitFailed) as info:
        git.clone_mirror("/r", tmp_path / "m", "source 'team'")
    assert info.value.exit_code == ExitCode.GIT_FAILED and "install git" in (info.value.hint or "")
