"""Benchmarks: raw library baselines (raw.py) and the platform measured against them."""
