"""SOSL for the Salesforce simulator: ``FIND {terms} [IN scope FIELDS] [RETURNING ...] [LIMIT n]``.

``parser`` splits the statement (search expression, scope, RETURNING specs with their raw
WHERE / ORDER BY / LIMIT text); ``search`` tokenises the terms and matches them against the
org's text fields, then runs each RETURNING spec through the SOQL engine (``WHERE Id IN
(matches) AND (...)``), so field, object and filter errors are the SOQL engine's own.
"""

from simulators.salesforce.sosl.parser import ReturningSpec, SearchStatement, parse_search
from simulators.salesforce.sosl.search import run_search

__all__ = ["ReturningSpec", "SearchStatement", "parse_search", "run_search"]
