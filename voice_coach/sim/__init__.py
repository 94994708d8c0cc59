"""Simulation of the bedside room for tests, benchmarks and the demo (no hardware)."""
