"""Benchmarks: import cost, waiting at scale, worker slot time, upload streaming, each against a baseline.

Run all with ``make bench`` (``python -m benchmarks``); see ``benchmarks/README.md``.
"""
