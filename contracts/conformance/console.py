"""The console summary (rich): per-stage counts, every failure, the certification per level, the
score and index. The console shortens long values to one line; the reports keep them whole."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from contracts.conformance.results import RunReport, Stage, Status
from contracts.conformance.spec import Contract


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def print_summary(console: Console, report: RunReport, contract: Contract, files: list[Path]) -> None:
    table = Table(title=f"q2c verify {report.target}", title_justify="left")
    for column in ("stage", "passed", "failed", "known", "not applicable"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for stage in Stage:
        checks = [c for c in report.checks if c.stage is stage]
        if not checks:
            continue
        table.add_row(
            stage.value,
            str(sum(c.status is Status.PASSED for c in checks)),
            str(sum(c.status is Status.FAILED and not c.known for c in checks)),
            str(sum(c.known for c in checks)),
            str(sum(c.status is Status.NOT_APPLICABLE for c in checks)),
        )
    console.print(table)
    for check in report.failures:
        tag = "[yellow]known[/yellow]" if check.known else "[red]FAILED[/red]"
        console.print(f"{tag} [bold]{check.id}[/bold]: {_short(check.title)}", highlight=False)
        if check.caused_by is not None:
            console.print(f"    caused by {check.caused_by} (counted there)", highlight=False, markup=False)
            continue
        for where in contract.where(check.operations, check.stage.value)[:1]:
            console.print(f"    operation: {where}", highlight=False, markup=False)
        console.print(f"    expected: {_short(check.expected)}", highlight=False, markup=False)
        console.print(f"    actual:   {_short(check.actual)}", highlight=False, markup=False)
    for fixed in report.fixed:
        console.print(f"[green]fixed[/green] {fixed} (in the baseline, passes now: --update-baseline)")
    for level in report.levels:
        verdict = (
            "certified" if level["certified"] else ("NOT certified" if level["claimed"] else "not claimed")
        )
        colour = "green" if level["certified"] else ("red" if level["claimed"] else "yellow")
        index = level["index"]
        why = f" ({_short('; '.join(level['reasons']))})" if level["reasons"] else ""
        console.print(
            f"level {level['level']}: [{colour}]{verdict}[/{colour}] · index {index.get('share', 0) * 100:.1f}% "
            f"({index.get('exercised', 0)}/{index.get('total', 0)}){why}",
            highlight=False,
        )
    figures = report.index(contract)
    responses, operations = figures["responses"], figures["operations"]
    colour = "green" if not report.new_failures else "red"
    console.print(
        f"[{colour}]score {report.score * 100:.1f}%[/{colour}] "
        f"({report.count(Status.PASSED)}/{report.applicable} applicable checks) · "
        f"conformance index {responses['share'] * 100:.1f}% "
        f"({responses['exercised']}/{responses['total']} documented responses, "
        f"{operations['exercised']}/{operations['total']} operations) · {report.duration_seconds:.1f}s",
        highlight=False,
    )
    for path in files:
        console.print(f"report: {path}", highlight=False)
