"""Laboratory instruments: drivers (pure), transport (pyserial), simulators, bench agent.

Nothing here needs Flask or the database except the lead's models/views/services/api.
"""
