"""Benchmarks (`layers-hub bench ...`, run by services/commands/bench.py and health.py): each drives a whole
scratch Hub (database setup, demo data, the sandbox, the HTTP stack), so they sit with the entry points,
above the contexts they measure. Docs: docs/benchmarks.md."""
