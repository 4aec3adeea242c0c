"""Outbound Messages: Salesforce's SOAP push to a listener when a record meets a rule's criteria.

- ``declarations``: what an admin declares (object, criteria, fields, endpoint), from YAML or the
  control plane, checked against the org's schema;
- ``queue``: the per-org model (``org.outbound``): criteria evaluated on committed rows, the
  notification queue, attempts, Salesforce's retry schedule and 24 h expiry on the virtual clock;
- ``envelope``: the SOAP ``notifications`` body and the listener's ``<Ack>``;
- ``delivery``: the app-owned worker that POSTs due notifications (the only module with HTTP).

Nothing here is imported by this package's ``__init__``: the models reach ``queue`` without
pulling in aiohttp (the Salesforce models must run without HTTP).
"""
