"""Command-line entry points of the portal (above geo/, layers/ and ui/ in the import order)."""
