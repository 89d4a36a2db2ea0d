"""cosign-format image signatures: keys, signing and verifying; no registry or network I/O."""
