"""Command-line commands of this feature."""

commands: list = []
