"""The baseline ratchet: recorded failures do not fail the run, new ones do, fixed ones are
reported; the HTML report shows a failure with its expected and actual values and curl."""

from __future__ import annotations

import json
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.support.conformance import verify_against

from .adapters import BROKEN, Adapter

Proxied = Callable[[type[Adapter]], Any]


@pytest.mark.slow
def test_a_baseline_accepts_known_failures_and_catches_new_ones(proxied: Proxied, tmp_path: Path) -> None:
    baseline = tmp_path / "conformance-baseline.json"
    with proxied(BROKEN["summary_disagrees"]) as url:
        recorded = verify_against(
            url, tmp_path / "r1", skip=("fuzz",), baseline=baseline, update_baseline=True
        )
        assert recorded.exit_code == 0, recorded.output
        document = json.loads(baseline.read_text(encoding="utf-8"))
        assert document["format"] == "q2c-verify-baseline/1"
        assert [entry["id"] for entry in document["failures"]] == ["summary.matches_invoices"]

        again = verify_against(url, tmp_path / "r2", skip=("fuzz",), baseline=baseline, run_id="TESTRUN2")
        assert again.exit_code == 0, again.output
        assert again.check("summary.matches_invoices")["known"] is True
        assert again.report["counts"]["known"] == 1
        assert "known summary.matches_invoices" in again.output

    with proxied(BROKEN["skipping_pagination"]) as url:
        regressed = verify_against(url, tmp_path / "r3", skip=("fuzz",), baseline=baseline, run_id="TESTRUN3")
    assert regressed.exit_code == 1, regressed.output
    assert regressed.check("pagination.walk")["known"] is False
    # The summary check passes on this adapter: the baseline entry is reported as fixed.
    assert regressed.report["fixed"] == ["summary.matches_invoices"]
    assert "fixed summary.matches_invoices" in regressed.output


class _Failures(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.articles: list[dict[str, str | None]] = []
        self.fields: dict[str, list[str]] = {"expected": [], "actual": [], "curl": []}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "article":
            self.articles.append(found)
        classes = (found.get("class") or "").split()
        self._in = next((c for c in classes if c in self.fields), self._in if tag == "code" else None)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("dd", "pre"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self.fields[self._in].append(data)


@pytest.mark.slow
def test_the_html_report_shows_each_failure_with_expected_actual_and_curl(
    proxied: Proxied, tmp_path: Path
) -> None:
    with proxied(BROKEN["summary_disagrees"]) as url:
        run = verify_against(url, tmp_path / "report", skip=("fuzz", "webhooks"))
    assert run.exit_code == 1
    parser = _Failures()
    parser.feed((tmp_path / "report" / "report.html").read_text(encoding="utf-8"))
    assert [a["data-check"] for a in parser.articles] == ["summary.matches_invoices"]
    assert parser.articles[0]["data-known"] == "false"
    check = run.check("summary.matches_invoices")
    assert "".join(parser.fields["expected"]) == check["expected"]
    assert "".join(parser.fields["actual"]) == check["actual"]
    reproduce = "".join(parser.fields["curl"])
    assert reproduce == check["reproduce"]
    assert reproduce.startswith("curl ")
    assert "/summary" in reproduce
    assert '"Authorization: Bearer $Q2C_VERIFY_TOKEN"' in reproduce
    assert "q2c-billing-key" not in (tmp_path / "report" / "report.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_baseline_update_from_an_only_run_keeps_the_other_stages_entries(
    proxied: Proxied, tmp_path: Path
) -> None:
    baseline = tmp_path / "conformance-baseline.json"
    fuzz_entries = [
        {"id": f"fuzz.getAccount.check_{n}", "stage": "fuzz", "title": "recorded by a full run"}
        for n in range(17)
    ]
    document = {"format": "q2c-verify-baseline/1", "contract_version": "1.0.0", "failures": fuzz_entries}
    baseline.write_text(json.dumps(document), encoding="utf-8")
    with proxied(BROKEN["summary_disagrees"]) as url:
        run = verify_against(
            url, tmp_path / "r", only=("scenarios",), baseline=baseline, update_baseline=True
        )
    assert run.exit_code == 0, run.output
    written = json.loads(baseline.read_text(encoding="utf-8"))["failures"]
    assert [e["id"] for e in written] == sorted(
        [e["id"] for e in fuzz_entries] + ["summary.matches_invoices"]
    )
    said = (
        f"baseline {baseline} written: 18 known failures; added 1 (summary.matches_invoices); removed 0; "
        "kept 17 fuzz (stages that did not run)"
    )
    assert said in run.output
    assert said in run.report["notes"]
