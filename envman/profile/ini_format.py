"""distrobox-assemble ini files (distrobox 1.8.2.5 and 2.0): read into Profiles, write back."""

from __future__ import annotations

from envman.profile.ini_read import read_ini_profiles
from envman.profile.ini_write import write_ini_profiles

__all__ = ["read_ini_profiles", "write_ini_profiles"]
