"""Rapid-test stations at markets: results uploaded in batches, confirmation by the labs, 公示."""
