"""The one-process sandbox: every component wired together on its ports in one event loop
(``System``), how ``q2c up`` runs it, and the seeded scenario data the demo, the load tests and
the benchmarks share. It sits above the simulators and the integration core and below
``loadtests`` and the ``q2c`` CLI."""
