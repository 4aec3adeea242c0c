"""``q2c verify``: the conformance harness partners run against their own billing adapter.

It measures a running adapter against the billing adapter contract in three stages:

- ``fuzz``: schemathesis over the contract, all phases and checks, seeded (``fuzz.py``);
- ``scenarios``: scripted business checks the fuzzer cannot know (``scenarios_*.py``,
  ``rate_limit.py``);
- ``webhooks``: the harness's own listener receives the adapter's events (``webhooks.py``).

It reports a score (applicable checks passed) and a conformance index (documented responses
exercised) on the console, as JUnit XML and as a self-contained HTML page, and fails only on
failures a committed baseline does not record. Entry point: ``runner.verify_main``.
"""

from contracts.conformance.runner import VerifyOptions, verify_main

__all__ = ["VerifyOptions", "verify_main"]
