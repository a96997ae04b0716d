"""Runs the catalog CLI: ``python -m catalog --help``."""

from __future__ import annotations

from catalog.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
