"""Bring your own data: safe upload handling, encodings, CRS, report-style tables, boundaries,
located problem reports and the versioned dataset store. See `python -m geo.ingest --help`."""
