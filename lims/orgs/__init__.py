"""Organisations of the testing network: prefecture lab, county labs, rapid-test stations."""
