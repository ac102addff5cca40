"""Bring your own data: safe upload handling, encodings, CRS, report-style tables, boundaries,
located problem reports and the versioned dataset store. The command line is `python -m cli.ingest`."""
