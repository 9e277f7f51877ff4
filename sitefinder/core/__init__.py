"""The bottom layer: errors, settings, the CRS and its bounds, database access.

Everything else (``layers``, ``etl``, scoring, the API, the CLI) builds on this package; it
imports nothing above it (the import contract in ``pyproject.toml`` checks that).
"""
