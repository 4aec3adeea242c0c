"""``q2c verify``: the conformance harness partners run against their own billing adapter.

It measures a running adapter against the billing adapter contract in three stages:

- ``fuzz``: schemathesis over the contract, all phases and checks, seeded (``fuzz.py``);
- ``scenarios``: scripted business checks the fuzzer cannot know (``scenarios_*.py``,
  ``rate_limit.py``);
- ``webhooks``: the harness's own listener receives the adapter's events (``webhooks.py``).

then certifies the adapter per conformance level (``levels.py``: the levels and capabilities the
contract's ``x-q2c-conformance`` section defines). It reports the verdict and conformance index
per level, a score (applicable checks passed, each root failure counted once) and the overall
index (documented responses exercised) on the console, as JSON, as JUnit XML and as a
self-contained HTML page, and fails on failures a committed baseline does not record (and on
levels ``--require-level`` names that are not certified). Entry point: ``runner.verify_main``.
"""

from contracts.conformance.runner import VerifyOptions, verify_main

__all__ = ["VerifyOptions", "verify_main"]
