"""Containerfiles as profiles: lines, instructions, stages and variables, the build context."""
