"""`python -m envman`: the same entry point as the console script."""

from envman.cli import main

main()
