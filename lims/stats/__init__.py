"""Statistics: standards test-item coverage and the prefecture plan's targets (issue #8)."""
