"""Team sources: git repositories of profiles and hooks, synced atomically, refs verified."""
