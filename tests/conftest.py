"""Suite-wide hooks for runs on pytest-xdist workers (``make unit``/``make contract`` pass
``-n 2 --dist loadgroup --no-loadscope-reorder``). Fixtures live in the conftest files next to
their tests; this file holds none.

- Each test file is one work unit, so module- and session-scoped fixtures (a live server, the
  node clients' login, the load runs) start once per worker, as in a serial run, and a file's
  tests run in their written order.
- The timing-sensitive gates (throughput floors, start-up times, the chaos gate's deadlines)
  form one unit: they never run beside each other, only beside ordinary tests.
- Units start longest first (those gates, then files with ``slow`` tests and the end-to-end
  files), so no long file is left running alone at the end.

Without ``--dist loadgroup`` (a plain ``pytest`` run) nothing changes.
"""

from __future__ import annotations

import pytest

TIMED_GROUP = "timed"
TIMED_FILES = frozenset(
    {
        "tests/loadtests/test_load_gates.py",
        "tests/loadtests/test_chaos.py",
        "tests/q2c/test_bench_startup.py",
    }
)
LONG_DIRECTORIES = ("tests/e2e/",)


def _file(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


# tryfirst: the groups must be marked before xdist's worker hook reads them into the node ids.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        path = _file(item)
        item.add_marker(pytest.mark.xdist_group(TIMED_GROUP if path in TIMED_FILES else path))
    long_files = {
        _file(item)
        for item in items
        if item.get_closest_marker("slow") is not None or _file(item).startswith(LONG_DIRECTORIES)
    }
    # A stable sort: each file's tests stay together and in order.
    items.sort(key=lambda item: (_file(item) not in TIMED_FILES, _file(item) not in long_files))
