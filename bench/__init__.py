"""Benchmarks: each script prints its figures; bench/README.md records them and how to rerun."""
