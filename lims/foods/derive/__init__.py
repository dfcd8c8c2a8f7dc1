"""One-off derivation scripts kept for provenance; never imported at run time."""
