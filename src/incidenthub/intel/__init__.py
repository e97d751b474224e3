"""Sety's threat intelligence: heat map, danger zones, danger analytics, safety score, route safety, safe zones.

Read side only: every answer comes from the per-cell sums `incidents/safety.py` keeps at each write.
"""
