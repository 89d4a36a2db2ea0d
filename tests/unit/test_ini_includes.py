"""The include graph of ini sections is bounded: each file parsed once, depth and size limited."""

from __future__ import annotations

from pathlib import Path

import pytest

from envman.errors import ProfileSchemaError
from envman.profile import resolver as store
from envman.profile.model import Profile
from envman.profile.resolver import MAX_INCLUDE_DEPTH, MAX_MERGED_ITEMS, Resolver, find


def chain(path: Path, length: int) -> Path:
    """[s0] includes [s1] includes ... [s{length-1}]; each section is 3 lines long."""
    lines = []
    for i in range(length):
        lines.append(f"[s{i}]")
        lines.append(f"include=s{i + 1}" if i + 1 < length else "image=alpine")
        lines.append(f"additional_packages=p{i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def resolve(path: Path, section: str) -> Profile:
    return Resolver((path.parent,), path.parent).resolve(find(f"{path}#{section}", (), path))


def test_an_800_section_chain_stops_at_the_depth_limit_naming_the_line(tmp_path: Path) -> None:
    path = chain(tmp_path / "chain.ini", 800)
    with pytest.raises(ProfileSchemaError) as info:
        resolve(path, "s0")
    # the include line of [s{depth-1}], the one that would go one level deeper
    line = 3 * (MAX_INCLUDE_DEPTH - 1) + 2
    assert info.value.message.startswith(f"{path}:{line}: include: more than 32 levels")
    assert info.value.hint


def test_a_chain_within_the_limit_resolves(tmp_path: Path) -> None:
    path = chain(tmp_path / "chain.ini", 800)
    profile = Resolver((tmp_path,), tmp_path).resolve(find(f"{path}#s780", (), tmp_path))
    assert profile.image == "alpine" and len(profile.packages) == 20


def test_the_file_is_parsed_once_for_the_whole_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = chain(tmp_path / "chain.ini", 30)
    calls = []
    real = store.read_ini_profiles

    def counting(text: str, file: str, **kwargs: str) -> object:
        calls.append(file)
        return real(text, file, **kwargs)

    monkeypatch.setattr(store, "read_ini_profiles", counting)
    store._parsed_ini.cache_clear()
    profile = Resolver((tmp_path,), tmp_path).resolve(find(f"{path}#s0", (), tmp_path))
    assert len(profile.packages) == 30 and calls == [str(path)]


def diamond(path: Path, levels: int) -> Path:
    """[d{i}] includes [d{i-1}] and [d{i-2}]: a graph whose unfolded tree grows like Fibonacci."""
    lines = ["[d0]", "image=alpine", "init_hooks=echo 0", "[d1]", "include=d0", "init_hooks=echo 1"]
    for i in range(2, levels):
        lines += [f"[d{i}]", f"include=d{i - 1}", f"include=d{i - 2}", f"init_hooks=echo {i}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_diamond_graph_is_bounded_by_what_it_merges(tmp_path: Path) -> None:
    path = diamond(tmp_path / "diamond.ini", 25)
    with pytest.raises(ProfileSchemaError) as info:
        resolve(path, "d24")
    message = info.value.message
    assert f"adds up to more than {MAX_MERGED_ITEMS} build steps, hooks" in message, message
    assert message.startswith(f"{path}:")


def test_a_small_diamond_resolves_each_section_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = diamond(tmp_path / "diamond.ini", 6)
    merges = []
    real = store.merge

    def counting(base: Profile, own: Profile) -> Profile:
        merges.append(own.name)
        return real(base, own)

    monkeypatch.setattr(store, "merge", counting)
    profile = Resolver((tmp_path,), tmp_path).resolve(find(f"{path}#d5", (), tmp_path))
    # d1 merges its include once; d2..d5 merge their two includes, then themselves
    assert len(merges) == 1 + 2 * 4
    # the merge copies a shared include once per path to it: 1, 2, 4, 7, 12, 20 hooks
    assert len(profile.hooks) == 20


def test_an_include_cycle_names_the_include_line(tmp_path: Path) -> None:
    path = tmp_path / "cycle.ini"
    path.write_text("[a]\ninclude=b\n[b]\nimage=x\ninclude=a\n", encoding="utf-8")
    with pytest.raises(ProfileSchemaError) as info:
        resolve(path, "a")
    assert info.value.message.startswith(f"{path}:5: include cycle: a -> b -> a")
