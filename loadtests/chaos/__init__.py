"""The chaos gate (``q2c chaos``): the three components as separate processes under every fault
family, the core SIGKILLed at seeded moments; exit 0 only with nothing lost, nothing duplicated
and no reconcile drift. See docs/chaos.md."""
