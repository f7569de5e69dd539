"""Benchmarks: `make bench` (python -m bench.perf) writes docs/performance.md."""
