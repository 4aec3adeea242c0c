"""The ``q2c`` command line: run, demo, verify, load-test and benchmark the sandbox."""
