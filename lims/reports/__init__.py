"""Test reports: document model, HTML/PDF rendering, PAdES signing and verification."""
