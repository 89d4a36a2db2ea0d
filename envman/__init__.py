"""envman: declarative, versioned dev-environment containers for immutable Linux desktops."""

__version__ = "0.1.0"
