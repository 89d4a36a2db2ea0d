"""Profile addresses: what envman records for an environment, and when two name one profile."""

from __future__ import annotations

from pathlib import Path

from envman.ops.address import is_address, same_profile


def test_recorded_addresses_and_older_bare_names() -> None:
    assert is_address("/home/me/proj/profiles/dev.yaml")
    assert is_address("/home/me/boxes.ini#python39")
    assert is_address("team/ansible@v2.1")
    assert not is_address("ansible")  # what envman before addresses recorded for a bare name
    assert not is_address("")


def test_same_file_same_section_same_source_profile(tmp_path: Path) -> None:
    real = tmp_path / "profiles" / "dev.yaml"
    real.parent.mkdir()
    real.write_text("envman: 1\n")
    link = tmp_path / "linked"
    link.symlink_to(real.parent)
    assert same_profile(str(real), str(link / "dev.yaml"))
    assert not same_profile(str(real), str(tmp_path / "other" / "dev.yaml"))
    assert not same_profile(f"{tmp_path}/b.ini#one", f"{tmp_path}/b.ini#two")
    assert same_profile("team/ansible@v1", "team/ansible@v2")  # another ref: an update
    assert not same_profile("team/ansible@v1", "other/ansible@v1")
    assert not same_profile("team/ansible@v1", str(real))
