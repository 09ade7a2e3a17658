"""Benchmarks of project issue 7: import cost, waiting at scale, worker slot time, upload streaming.

Run all with ``make bench`` (``python -m benchmarks``); see ``benchmarks/README.md``.
"""
