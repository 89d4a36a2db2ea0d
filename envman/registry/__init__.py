"""The OCI registry adapter: the only part of envman that speaks the distribution protocol."""
