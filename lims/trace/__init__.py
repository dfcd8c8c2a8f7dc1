"""Traceability: business pages and history, sample-to-sample tracing, 重点食品, merges."""
