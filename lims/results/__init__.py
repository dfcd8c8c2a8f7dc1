"""Worksheets, result entry, and the three e-signatures (检验 → 审核 → 批准)."""
