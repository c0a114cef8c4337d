"""SPOC's benchmarks: generated workloads, measured side by side, reported as ratios.

Run ``make bench`` (or ``python -m bench``); ``--quick`` for a smoke test.
"""
