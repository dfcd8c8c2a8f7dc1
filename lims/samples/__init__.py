"""Samples: receipt, test plan, routing to labs, sub-samples, chain of custody, lifecycle."""
