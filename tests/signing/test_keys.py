"""Key files: `envman key generate`, loading them back, and their errors."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from envman.cli import key as key_cli
from envman.cli.app import app as root_app
from envman.cli.app import run_app
from envman.errors import ExitCode, FileClash, KeyInvalid, UsageError
from envman.ops.keys import generate_key, load_private_key, load_public_keys
from envman.signing.sign import sign
from envman.signing.verify import Attachment, verify
from tests.signing.conftest import FX, PASSPHRASE, SIGNED, fixture_bytes

ENVMAN = str(Path(sys.executable).parent / "envman")
runner = CliRunner()


def test_a_generated_key_loads_back_and_its_signatures_verify(tmp_path: Path) -> None:
    pair = generate_key(tmp_path / "team", "correct horse")
    private, public = Path(pair.private), Path(pair.public)
    assert (private.name, public.name) == ("team.private", "team.pub")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_bytes().startswith(b"-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n")
    assert public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----\n")

    key = load_private_key(private, "correct horse")
    [trusted] = load_public_keys([public])
    assert trusted.key_id == key.public.key_id == pair.key_id
    image = fixture_bytes(SIGNED["manifest"])
    signed = sign(key, "registry.example.com/team/tool:v1", image, timestamp=1)
    attachment = Attachment(signed.manifest, {signed.payload_digest: signed.payload})
    assert verify("registry.example.com/team/tool:v1", image, attachment, [trusted]).accepted


def test_the_key_file_has_upstreams_layout(tmp_path: Path) -> None:
    pair = generate_key(tmp_path / "k", "pw")
    ours = Path(pair.private).read_text().splitlines()
    theirs = fixture_bytes("keys/upstream.private").decode().splitlines()
    assert [len(line) for line in ours] == [len(line) for line in theirs]
    assert (ours[0], ours[-1]) == (theirs[0], theirs[-1])
    assert len(Path(pair.public).read_bytes()) == len(fixture_bytes("keys/upstream.pub"))


def test_the_upstream_key_with_a_wrong_passphrase_fails_clearly() -> None:
    with pytest.raises(KeyInvalid) as raised:
        load_private_key(FX / "keys" / "upstream.private", PASSPHRASE + "x")
    assert "wrong passphrase" in raised.value.message
    assert "upstream.private" in raised.value.message


def test_the_upstream_key_file_loads_and_signs() -> None:
    key = load_private_key(FX / "keys" / "upstream.private", PASSPHRASE)
    [upstream_pub] = load_public_keys([FX / "keys" / "upstream.pub"])
    assert upstream_pub.verifies(key.sign(b"payload"), b"payload")
    assert not upstream_pub.verifies(key.sign(b"payload"), b"payload!")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "no PEM block"),
        (b"-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n", "not base64"),
        (b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "not a public key"),
        (b"x" * 70_000, "larger than"),
    ],
)
def test_a_bad_public_key_file_names_the_file(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "bad.pub"
    path.write_bytes(content)
    with pytest.raises(KeyInvalid) as raised:
        load_public_keys([path])
    assert str(path) in raised.value.message
    assert words in raised.value.message


def test_cosign_2s_sigstore_pem_type_is_read_too(tmp_path: Path) -> None:
    text = fixture_bytes("keys/upstream.private").replace(b"COSIGN", b"SIGSTORE")
    (tmp_path / "k.private").write_bytes(text)
    key = load_private_key(tmp_path / "k.private", PASSPHRASE)
    assert key.public.pem() == fixture_bytes("keys/upstream.pub")


def test_a_private_key_is_not_a_public_key_and_vice_versa() -> None:
    with pytest.raises(KeyInvalid, match="not 'PUBLIC KEY'"):
        load_public_keys([FX / "keys" / "upstream.private"])
    with pytest.raises(KeyInvalid, match="not ENCRYPTED"):
        load_private_key(FX / "keys" / "upstream.pub", PASSPHRASE)
    with pytest.raises(KeyInvalid, match="cannot read"):
        load_public_keys([FX / "keys" / "missing.pub"])


def test_absurd_scrypt_parameters_are_refused_before_any_work(tmp_path: Path) -> None:
    text = fixture_bytes("keys/upstream.private").decode()
    import base64

    lines = text.splitlines()
    body = base64.b64decode("".join(lines[1:-1])).replace(b'"N":32768', b'"N":1073741824')
    path = tmp_path / "huge.private"
    encoded = base64.b64encode(body).decode()
    path.write_text(f"{lines[0]}\n{encoded}\n{lines[-1]}\n")
    with pytest.raises(KeyInvalid, match="too much memory"):
        load_private_key(path, PASSPHRASE)


def test_an_existing_key_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "team.pub").write_text("mine")
    with pytest.raises(FileClash):
        generate_key(tmp_path / "team", "pw")
    assert (tmp_path / "team.pub").read_text() == "mine"
    assert not (tmp_path / "team.private").exists()


def test_an_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        generate_key(tmp_path / "team", "")
    assert list(tmp_path.iterdir()) == []


def test_cli_takes_the_passphrase_from_the_environment(tmp_path: Path) -> None:
    env = {**os.environ, "ENVMAN_KEY_PASSPHRASE": "s3cret"}
    result = subprocess.run(
        [ENVMAN, "key", "generate", str(tmp_path / "ci")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "ci.private" in result.stdout
    assert load_private_key(tmp_path / "ci.private", "s3cret")


def run_cli(*args: str) -> int:
    """envman's CLI in this process, through its error boundary; the exit code."""
    with pytest.raises(SystemExit) as exited:
        run_app(list(args))
    return int(exited.value.code or 0)


def test_cli_without_passphrase_or_terminal_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ENVMAN_KEY_PASSPHRASE", raising=False)
    monkeypatch.setattr(key_cli, "_interactive", lambda: False)
    assert run_cli("key", "generate", str(tmp_path / "k")) == ExitCode.USAGE
    assert "ENVMAN_KEY_PASSPHRASE" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_to_overwrite_with_exit_18(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENVMAN_KEY_PASSPHRASE", "pw")
    (tmp_path / "k.private").write_text("mine")
    assert run_cli("key", "generate", str(tmp_path / "k")) == ExitCode.FILE_CLASH
    assert "never overwrites" in capsys.readouterr().err
    assert (tmp_path / "k.private").read_text() == "mine"
    assert not (tmp_path / "k.pub").exists()


def test_cli_prompts_twice_in_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENVMAN_KEY_PASSPHRASE", raising=False)
    monkeypatch.setattr(key_cli, "_interactive", lambda: True)
    args = ["key", "generate", str(tmp_path / "k"), "--json"]
    result = runner.invoke(root_app, args, input="pw\npw\n")
    assert result.exit_code == 0, result.output
    assert load_private_key(tmp_path / "k.private", "pw")
    mismatch = runner.invoke(root_app, ["key", "generate", str(tmp_path / "j")], input="a\nb\n")
    assert mismatch.exit_code != 0
    assert not (tmp_path / "j.private").exists()
