"""Limits engine: limit library, units, GB/T 8170 rounding and conformity judgement.

Pure functions with no Flask request and no database; the database-backed lookup and
import (models, services) wrap them.  Submodules are imported explicitly by callers so
that importing :mod:`lims.limits.rounding` does not pay for building the unit registry.
"""
