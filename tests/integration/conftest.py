"""Integration tests drive real podman; the gate itself lives in tests/conftest.py."""
