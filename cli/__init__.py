"""Command-line entry points: above geo/, layers/ and ui/ (they may import all three)."""
