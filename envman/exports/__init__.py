"""Apps and binaries of environments on the host: launchers, icons, wrappers and their ledger."""
