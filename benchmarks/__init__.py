"""Jobraker's benchmarks: run with ``make bench`` (``python -m benchmarks``), never in the tests."""
