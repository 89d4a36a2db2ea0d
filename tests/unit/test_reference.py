"""docs/reference.md is what scripts/gen-reference gives; config.yaml's keys are declared once."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from envman.cli.reference import render
from envman.errors import ProfileSchemaError
from envman.host.config import KEYS, Config, load_config

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "reference.md"


def test_the_committed_page_is_what_the_generator_gives() -> None:
    assert PAGE.read_text(encoding="utf-8") == render(), "run scripts/gen-reference"


def test_the_generator_module_prints_the_page() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "envman.cli.reference"], capture_output=True, text=True, check=True
    )
    assert result.stdout == render()


def test_every_setting_is_declared_once_with_its_default() -> None:
    names = [key.name for key in KEYS]
    assert sorted(set(names)) == sorted(names)
    assert names == [f.name for f in dataclasses.fields(Config)]
    for key in KEYS:
        assert yaml.safe_load(key.default) == getattr(Config(), key.name), key.name
        assert f"`{key.name}`" in PAGE.read_text(encoding="utf-8")


def test_the_reader_takes_every_declared_key_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({key.name: yaml.safe_load(key.default) for key in KEYS}))
    assert load_config(path) == Config()
    path.write_text("keep_generations: 3\nimage_overides: {}\n")
    with pytest.raises(ProfileSchemaError) as info:
        load_config(path)
    assert f"{path}:2: image_overides: unknown key" in info.value.message
    assert "did you mean 'image_overrides'?" in (info.value.hint or "")
