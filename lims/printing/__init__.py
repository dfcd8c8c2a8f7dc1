"""PDF rendering, barcodes/QR codes and label sheets (no database access)."""
