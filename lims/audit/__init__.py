"""Append-only, hash-chained audit trail (ISO/IEC 17025 §7.5, 21 CFR Part 11 §11.10(e))."""
