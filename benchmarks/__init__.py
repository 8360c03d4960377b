"""Reproducible benchmarks: each prints JSON lines and compares against a physical-limit
baseline measured in the same run. See README.md; run all with ``python -m benchmarks.run``."""
