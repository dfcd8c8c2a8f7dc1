"""Instrument drivers: pure translation between frames (bytes) and readings.

A driver never opens a port, sleeps or touches the database; transport.py does the I/O.
"""
