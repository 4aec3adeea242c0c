"""Locustfiles, one scenario each: ``locust -f loadtests/locustfiles/<scenario>.py`` (what
``q2c load <scenario>`` and docker-compose's locust services run). Pass one file, not the
directory: each installs its own gates, and one locust process runs one scenario."""
