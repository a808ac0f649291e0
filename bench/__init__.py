"""Benchmarks: `make bench`. Figures, never pass/fail tests."""
