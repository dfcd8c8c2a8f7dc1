"""Signals later packages connect to; results never imports them (data flows one way)."""

from __future__ import annotations

import blinker

results_signals = blinker.Namespace()

# Sent as ``sample_approved.send(sample, user=approver)`` after the last active test of a
# (sub-)sample is approved and the transaction has committed.
sample_approved = results_signals.signal("sample-approved")
