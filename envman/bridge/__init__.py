"""The path-bridge: rewrites Flatpak sandbox paths in files other apps read (docs/bridge.md)."""
