"""The verdict, read from the systems' own state once the run is idle, and its report (rich
tables on the console, ``chaos.json`` in the report directory).

- billing accounts grouped by external id (the billing contract's account list): exactly one per
  Salesforce account that asked for a link; none for prospects and refused accounts;
- Salesforce accounts linked: a BAN written back, equal to that billing account's number;
- invoices in both systems: each billing invoice of a linked account once in
  ``Billing_Invoice__c`` (by ``Billing_Invoice_Id__c``), nothing there that billing lacks;
- dead letters and dead jobs (the core's status), reconcile drift (``/actions/reconcile``).

Exit 0 only with 0 lost, 0 duplicated and drift 0; 1 when the verdict fails; 2 when the run
could not finish (a timeout, a component that did not start, a fault family it could not install
in a full run).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from loadtests.chaos.observe import Observer

EXIT_PASS, EXIT_FAIL, EXIT_ERROR = 0, 1, 2
EXAMPLES = 5  # ids named per problem


@dataclass
class Verdict:
    requested: int = 0  # Salesforce accounts that asked for a link with complete data
    linked: int = 0  # of those, with a BAN written back that matches billing
    not_linkable: int = 0  # prospects and incomplete accounts
    billing_accounts: int = 0
    external_ids: int = 0
    billing_invoices: int = 0
    salesforce_invoices: int = 0
    drift: int = -1
    dead_letters: int = 0
    dead_jobs: int = 0
    problems: dict[str, list[str]] = field(default_factory=dict)

    def add(self, problem: str, item: str) -> None:
        self.problems.setdefault(problem, []).append(item)

    @property
    def lost(self) -> int:
        return sum(len(self.problems.get(name, [])) for name in LOST)

    @property
    def duplicated(self) -> int:
        return sum(len(self.problems.get(name, [])) for name in DUPLICATED)

    @property
    def passed(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.drift == 0 and not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "drift": self.drift,
            "requested_links": self.requested,
            "linked": self.linked,
            "not_linkable": self.not_linkable,
            "billing_accounts": self.billing_accounts,
            "external_ids": self.external_ids,
            "billing_invoices": self.billing_invoices,
            "salesforce_invoices": self.salesforce_invoices,
            "dead_letters": self.dead_letters,
            "dead_jobs": self.dead_jobs,
            "problems": {
                name: {"count": len(items), "examples": items[:EXAMPLES]}
                for name, items in self.problems.items()
            },
        }


LOST = (
    "link request never picked up by the core",
    "account without a billing account",
    "account without its BAN in Salesforce",
    "invoice missing in Salesforce",
)
DUPLICATED = (
    "external id on several billing accounts",
    "invoice several times in Salesforce",
)


def judge(observer: Observer, kinds: Mapping[str, str]) -> Verdict:
    """``kinds``: every Salesforce account the run created, by Id: customer, prospect or
    incomplete (missing required billing data)."""
    verdict = Verdict()
    accounts = {
        str(row["Id"]): row
        for row in observer.crm.query(
            "SELECT Id, Billing_Account_Number__c, Billing_Account_Id__c, Billing_Sync_Error__c,"
            " Billing_Link_Requested__c FROM Account"
        )
    }
    billing_accounts = observer.billing.collect("/accounts")
    by_external: dict[str, list[dict[str, Any]]] = {}
    for account in billing_accounts:
        if account.get("external_id"):
            by_external.setdefault(str(account["external_id"]), []).append(account)
    verdict.billing_accounts = len(billing_accounts)
    verdict.external_ids = len(by_external)
    linked_billing_ids: list[str] = []
    for sf_id, kind in sorted(kinds.items()):
        held = by_external.get(sf_id, [])
        if kind != "customer":
            verdict.not_linkable += 1
            if held:
                verdict.add(f"billing account for a {kind} account", f"{sf_id} -> {held[0]['number']}")
            continue
        verdict.requested += 1
        row = accounts.get(sf_id, {})
        error = row.get("Billing_Sync_Error__c")
        if not held and row.get("Billing_Link_Requested__c"):
            verdict.add("link request never picked up by the core", sf_id)
            continue
        if not held:
            verdict.add("account without a billing account", sf_id + (f" ({error})" if error else ""))
            continue
        if len(held) > 1:
            verdict.add(
                "external id on several billing accounts", f"{sf_id}: {', '.join(a['number'] for a in held)}"
            )
        ban = row.get("Billing_Account_Number__c")
        if not ban:
            verdict.add("account without its BAN in Salesforce", sf_id + (f" ({error})" if error else ""))
        elif ban not in {a["number"] for a in held}:
            verdict.add("BAN in Salesforce is not its billing account's", f"{sf_id}: {ban}")
        else:
            verdict.linked += 1
        linked_billing_ids += [str(a["id"]) for a in held]
    strangers = sorted(set(by_external) - set(kinds))
    for external_id in strangers:
        verdict.add("billing account for no account of the run", external_id)
    _judge_invoices(observer, verdict, set(linked_billing_ids))
    status = observer.status()
    verdict.dead_letters = sum(int(n) for state, n in status["inbox"].items() if state == "dead")
    verdict.dead_jobs = sum(int(kind.get("dead", 0)) for kind in status["jobs"].values())
    verdict.drift = int(observer.core.action("/actions/reconcile")["drift_count"])
    return verdict


def _judge_invoices(observer: Observer, verdict: Verdict, billing_ids: set[str]) -> None:
    invoices = [i for i in observer.billing.collect("/invoices") if str(i["account_id"]) in billing_ids]
    verdict.billing_invoices = len(invoices)
    rows = observer.crm.query("SELECT Id, Billing_Invoice_Id__c FROM Billing_Invoice__c")
    verdict.salesforce_invoices = len(rows)
    copies = Counter(str(row["Billing_Invoice_Id__c"]) for row in rows)
    known = {str(i["id"]) for i in invoices}
    for invoice in invoices:
        if copies[str(invoice["id"])] == 0:
            verdict.add("invoice missing in Salesforce", f"{invoice['id']} ({invoice.get('number')})")
    for invoice_id, count in sorted(copies.items()):
        if count > 1:
            verdict.add("invoice several times in Salesforce", f"{invoice_id} x{count}")
        elif invoice_id not in known:
            verdict.add("invoice in Salesforce that billing lacks", invoice_id)


# -- rendering ----------------------------------------------------------------------------------


def render(console: Console, record: Mapping[str, Any]) -> None:
    """The report: the plan, faults and kills, the verdict and its problems."""
    plan = record["plan"]
    title = f"q2c chaos (seed {plan['seed']}{', short' if plan['short'] else ''})"
    run = Table(title=title, title_justify="left")
    run.add_column("what")
    run.add_column("value", justify="right")
    run.add_row("Salesforce accounts (waves)", f"{plan['accounts']} ({plan['waves']})")
    run.add_row("billing periods", str(plan["periods"]))
    flow = record.get("flow", {})
    run.add_row("services ordered / payments made", f"{flow.get('orders', 0)} / {flow.get('payments', 0)}")
    steps = ", ".join(f"{step} {seconds:.1f}" for step, seconds in record.get("seconds", {}).items())
    run.add_row(
        "elapsed",
        f"{record['elapsed_seconds']:.1f} s ({steps})" if steps else f"{record['elapsed_seconds']:.1f} s",
    )
    console.print(run)
    faults = Table(title="fault families", title_justify="left")
    for column in ("family", "target", "state", "fired / matched"):
        faults.add_column(column)
    for family in record["faults"]:
        counts = f"{family['fired']} / {family.get('matched', '-')}" if "fired" in family else "-"
        faults.add_row(family["name"], family["target"], family["state"], counts)
    console.print(faults)
    kills = Table(title="core SIGKILLs (restarted on the same store)", title_justify="left")
    for column in ("#", "armed", "mid-flow", "core calls seen", "jobs taken back", "restart s"):
        kills.add_column(column)
    for n, kill in enumerate(record["kills"], 1):
        kills.add_row(
            str(n),
            kill["describe"],
            "yes" if kill["mid_flow"] else "no (it went idle first)",
            str(kill.get("seen", "-")),
            str(kill.get("jobs_taken_back", "-")),
            f"{kill.get('restart_seconds', 0):.2f}",
        )
    console.print(kills)
    for stall in record.get("stalls", []):
        console.print(f"[yellow]stuck while {stall['while']}: {stall['stuck']}[/yellow]")
    verdict = record.get("verdict")
    if verdict is not None:
        _render_verdict(console, verdict)
    if record.get("error"):
        console.print(f"[red]RESULT: ERROR (exit {record['exit_code']}): {record['error']}[/red]")
        if record.get("last_reading"):
            console.print(f"last reading: {record['last_reading']}")
        console.print(f"component logs: {record['logs'] or 'give --report-dir to keep them'}")
    else:
        outcome = (
            "[green]RESULT: PASS[/green]" if record["exit_code"] == EXIT_PASS else "[red]RESULT: FAIL[/red]"
        )
        console.print(f"{outcome} (exit {record['exit_code']})")


def _render_verdict(console: Console, verdict: Mapping[str, Any]) -> None:
    table = Table(title="verdict (from the systems' own state)", title_justify="left")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("accounts that requested a link", str(verdict["requested_links"]))
    table.add_row("accounts linked (BAN in Salesforce = billing)", str(verdict["linked"]))
    table.add_row("prospects and refused accounts (never billed)", str(verdict["not_linkable"]))
    table.add_row(
        "billing accounts (distinct external ids)",
        f"{verdict['billing_accounts']} ({verdict['external_ids']})",
    )
    table.add_row(
        "invoices in billing / in Salesforce",
        f"{verdict['billing_invoices']} / {verdict['salesforce_invoices']}",
    )
    table.add_row("dead letters / dead jobs", f"{verdict['dead_letters']} / {verdict['dead_jobs']}")
    table.add_row("lost", str(verdict["lost"]))
    table.add_row("duplicated", str(verdict["duplicated"]))
    table.add_row("reconcile drift", str(verdict["drift"]))
    console.print(table)
    if verdict["problems"]:
        problems = Table(title="problems", title_justify="left")
        problems.add_column("problem")
        problems.add_column("count", justify="right")
        problems.add_column("examples")
        for name, found in verdict["problems"].items():
            problems.add_row(name, str(found["count"]), "\n".join(found["examples"]))
        console.print(problems)


def write_json(report_dir: Path | None, record: Mapping[str, Any]) -> Path | None:
    if report_dir is None:
        return None
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "chaos.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def fired(rules: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How often a family's rules matched a request of the core, and fired on it."""
    counts: dict[str, int] = {"fired": sum(int(r.get("fired", 0)) for r in rules)}
    if any("matched" in r for r in rules):  # outbound webhook rules count firings only
        counts["matched"] = sum(int(r.get("matched", 0)) for r in rules)
    return counts
