"""`q2c link`, `q2c query`, `q2c sync`, `q2c reconcile`, `q2c catalog-sync` and `q2c orders` against
a running system, as users run them."""

import json
import subprocess
import sys
from pathlib import Path

from tests.contracts.test_core_contract import running_system


def q2c(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("q2c")), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_link_query_sync_and_reconcile_from_the_command_line(tmp_path: Path) -> None:
    with running_system(tmp_path) as urls:
        core = ["--core-url", urls["core"]]
        linked = q2c("link", *core, "--json")
        assert linked.returncode == 0, linked.stderr
        result = json.loads(linked.stdout)
        # The seeded org's accounts do not request a link: nothing is selected, nothing created.
        assert result == {
            "selected": 0,
            "enqueued": 0,
            "not_found": [],
            "done": True,
            "outcomes": {},
            "created": 0,
            "refused": {},
        }
        unknown = q2c("query", "001000000000000AAA", *core)
        assert unknown.returncode == 2
        assert "404" in unknown.stderr
        assert "knows nothing of account" in unknown.stderr
        assert q2c("sync", *core).returncode == 0
        drift = q2c("reconcile", *core, "--json")
        assert drift.returncode == 0, drift.stdout
        assert json.loads(drift.stdout)["drift_count"] == 0
        synced = q2c("catalog-sync", *core)
        assert synced.returncode == 0, synced.stderr
        assert json.loads(synced.stdout) == {"enqueued": 1, "done": True}
        # An Account id is not an order: said, not queued.
        processed = q2c("orders", "001000000000000AAA", *core)
        assert processed.returncode == 0, processed.stderr
        assert json.loads(processed.stdout) == {
            "enqueued": 0,
            "not_orders": ["001000000000000AAA"],
            "done": True,
        }


def test_an_unreachable_core_is_one_line_and_exit_2() -> None:
    done = q2c("reconcile", "--core-url", "http://127.0.0.1:9")
    assert done.returncode == 2
    assert "cannot reach the integration core at http://127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr
