"""The fuzz suite's hypothesis profiles: `ci` by default, `long` with ENVMAN_FUZZ=long.

By default the suite adds well under a minute; `ENVMAN_FUZZ=long` runs many more examples.
Either way an example that takes over 2 s fails (hypothesis' deadline), and tests/fuzz/guards.py
fails one that raises anything but an EnvmanError or writes outside its temp dir.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SETTINGS = {
    "deadline": 2000,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much],
    "print_blob": True,
}
settings.register_profile("ci", max_examples=60, **_SETTINGS)
settings.register_profile("long", max_examples=3000, **_SETTINGS)
settings.load_profile("long" if os.environ.get("ENVMAN_FUZZ") == "long" else "ci")
