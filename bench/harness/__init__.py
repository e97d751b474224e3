"""Reusable pieces of the benchmarks: processes, load, ceiling, import, SQL counts, profile, report."""
