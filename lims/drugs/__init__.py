"""Medicines: receipt, monographs (中国药典) as data, pharmacopoeial judgement, reports, figures."""
