"""Backup and restore of the whole database (``lims backup`` / ``lims restore``)."""
