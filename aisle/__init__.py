"""Aisle's shared core: settings, the shop database and the demo shop."""
