"""Uploads of reference data (limits, lab capabilities, local-standard item lists) run as
background jobs with progress, refused whole when any row is bad."""
