"""Maintainer tools for the limit library (not imported at run time)."""
