from datetime import UTC, datetime

import pytest

from simulators.kit.journal import Journal

T = datetime(2026, 1, 1, tzinfo=UTC)


def record(journal: Journal, path: str, status: int = 200, method: str = "GET", caller: str = "c") -> None:
    journal.record(
        time=T,
        request_id="r",
        caller=caller,
        method=method,
        path=path,
        operation=None,
        status=status,
        latency_ms=1.0,
        metered=True,
        family="rest",
        fault=None,
    )


def test_journal_stays_bounded_and_keeps_the_newest() -> None:
    journal = Journal(capacity=5)
    for n in range(12):
        record(journal, f"/r/{n}")
    assert len(journal) == 5
    assert [e.path for e in journal.query(limit=100)] == [f"/r/{n}" for n in range(7, 12)]
    assert [e.seq for e in journal] == [8, 9, 10, 11, 12]


def test_journal_filters() -> None:
    journal = Journal()
    record(journal, "/services/data/v59.0/query", status=200)
    record(journal, "/services/data/v59.0/sobjects/Account", status=400, method="POST")
    record(journal, "/other", status=200, caller="x")
    assert [e.path for e in journal.query(status=400)] == ["/services/data/v59.0/sobjects/Account"]
    assert len(journal.query(path="/services/*")) == 2
    assert len(journal.query(method="post")) == 1
    assert [e.path for e in journal.query(caller="x")] == ["/other"]
    assert [e.seq for e in journal.query(since_seq=1)] == [2, 3]
    assert [e.seq for e in journal.query(limit=1)] == [3]


def test_journal_needs_a_positive_capacity() -> None:
    with pytest.raises(ValueError, match="capacity"):
        Journal(capacity=0)
