"""Benchmarks (``q2c bench NAME``): figures measured side by side in one run, never timed tests.

Each module exposes ``run(console: rich.console.Console, *, quick: bool) -> dict[str, object]``
returning its figures (also printed as a table) for docs/benchmarks.md.
"""
