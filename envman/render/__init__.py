"""Pure renderers: a profile (and host facts) in, Containerfile and container spec out."""
