"""Signals later packages connect to; samples never imports them (data flows one way)."""

from __future__ import annotations

import blinker

samples_signals = blinker.Namespace()

# Sent as ``sample_received.send(sample, user=user, form=request.form)`` by the receipt page
# after the sample is registered and before the transaction commits.
sample_received = samples_signals.signal("sample-received")
