"""Smoke tests of the benchmarks (``bench/``): they run at ``--quick`` size and their checks hold."""
