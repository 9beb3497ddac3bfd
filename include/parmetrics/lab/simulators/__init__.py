"""Simulated source systems for the demo, the tests and the benchmarks."""
