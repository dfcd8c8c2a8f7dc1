"""Tests of the limits engine (pure: no app, no database)."""
