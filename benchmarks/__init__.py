"""Jobraker's benchmarks: run with ``make bench`` (``python -m benchmarks``), never inside the tests."""
