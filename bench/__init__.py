"""Benchmarks of the hub: audit sync, dashboard queries and page throughput (see bench/README.md)."""
