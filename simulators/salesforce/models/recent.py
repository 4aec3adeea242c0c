"""Recently viewed records, per user, newest first: what ``GET /recent`` lists.

A real org records a view when a user opens a record in the UI or runs a SOQL query with
``FOR VIEW`` (or ``FOR REFERENCE``, which Salesforce also counts as a recent reference);
plain API reads do not. Salesforce keeps the most recent 200 per user (the ``/recent`` limit).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

MAX_RECENT = 200


class RecentItems:
    def __init__(self) -> None:
        self._by_user: dict[str, OrderedDict[str, None]] = {}

    def mark(self, user_id: str, record_ids: Iterable[str]) -> None:
        items = self._by_user.setdefault(user_id, OrderedDict())
        for record_id in record_ids:
            items.pop(record_id, None)
            items[record_id] = None
        while len(items) > MAX_RECENT:
            items.popitem(last=False)

    def newest(self, user_id: str) -> list[str]:
        return list(reversed(self._by_user.get(user_id, OrderedDict())))
