"""A self-contained HTML report: inline CSS, no scripts, no external assets, so it can be kept
as a CI artifact and opened anywhere. Figures carry ``data-*`` attributes (tests and scripts read
the numbers from the structure, not from the prose)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from contracts.conformance.results import CheckResult, RunReport, Stage, Status
from contracts.conformance.spec import Contract

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header,main{max-width:1200px;margin:0 auto;padding:16px 24px}
header{background:#1d2330;color:#fff;max-width:none}
header h1{margin:0 0 4px;font-size:22px}header p{margin:2px 0;color:#c9d1e0}
h2{font-size:18px;margin:28px 0 10px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:12px 16px;min-width:200px;flex:1}
.card h3{margin:0;font-size:13px;color:#5a6478;text-transform:uppercase;letter-spacing:.04em}
.figure{font-size:30px;font-weight:700;margin:4px 0}
.good{color:#17803d}.bad{color:#c62828}.meh{color:#9a6700}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde2ea}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #eef1f5;vertical-align:top}
th{background:#eef1f5;font-size:12px;text-transform:uppercase;color:#5a6478}
.status{font-weight:600;white-space:nowrap}
.status-passed{color:#17803d}.status-failed{color:#c62828}.status-not_applicable{color:#5a6478}
.failure{background:#fff;border:1px solid #f0c2c2;border-left:4px solid #c62828;border-radius:6px;padding:10px 14px;margin:10px 0}
.failure.known{border-color:#ead9a6;border-left-color:#9a6700}
.failure h3{margin:0 0 4px;font-size:15px;font-family:ui-monospace,Menlo,Consolas,monospace}
dl{display:grid;grid-template-columns:90px 1fr;gap:4px 10px;margin:8px 0}dt{font-weight:600;color:#5a6478}dd{margin:0;white-space:pre-wrap;word-break:break-word}
pre{background:#1d2330;color:#e6e9ef;padding:8px 10px;border-radius:6px;overflow-x:auto;white-space:pre-wrap;word-break:break-all;font-size:12px}
code{font-family:ui-monospace,Menlo,Consolas,monospace}
"""


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _tone(share: float) -> str:
    return "good" if share >= 0.999 else ("meh" if share >= 0.8 else "bad")


def _card(id_: str, title: str, figure: str, tone: str, note: str, **data: Any) -> str:
    attrs = " ".join(f'data-{k.replace("_", "-")}="{escape(str(v))}"' for k, v in data.items())
    return (
        f'<div class="card" id="{id_}" {attrs}><h3>{escape(title)}</h3>'
        f'<p class="figure {tone}">{escape(figure)}</p><p>{escape(note)}</p></div>'
    )


def _failure(check: CheckResult, contract: Contract) -> str:
    known = " known" if check.known else ""
    label = " (known: in the baseline)" if check.known else ""
    reproduce = f'<pre class="curl"><code>{escape(check.reproduce)}</code></pre>' if check.reproduce else ""
    detail = f'<pre class="detail">{escape(check.detail)}</pre>' if check.detail else ""
    where = "".join(
        f'<dd class="operation">{escape(w)}</dd>' for w in contract.where(check.operations, check.stage.value)
    )
    caused = (
        f'<dt>Caused by</dt><dd class="caused-by"><a href="#failure-{escape(check.caused_by)}">'
        f"{escape(check.caused_by)}</a> (the root failure, counted once)</dd>"
        if check.caused_by
        else ""
    )
    return (
        f'<article class="failure{known}" id="failure-{escape(check.id)}" data-check="{escape(check.id)}" '
        f'data-stage="{check.stage.value}" data-known="{str(check.known).lower()}" '
        f'data-level="{escape(check.level or "")}" data-caused-by="{escape(check.caused_by or "")}">'
        f"<h3>{escape(check.id)}{label}</h3><p>{escape(check.title)}</p>"
        f'<dl><dt>Level</dt><dd class="level">{escape(check.level or "")}</dd>'
        + (f"<dt>Operation</dt>{where}" if where else "")
        + caused
        + f'<dt>Expected</dt><dd class="expected">{escape(check.expected)}</dd>'
        f'<dt>Actual</dt><dd class="actual">{escape(check.actual)}</dd></dl>{reproduce}{detail}</article>'
    )


def _levels(report: RunReport) -> str:
    rows = []
    for level in report.levels:
        verdict = (
            "certified" if level["certified"] else ("not certified" if level["claimed"] else "not claimed")
        )
        index = level["index"]
        tone = "good" if level["certified"] else ("bad" if level["claimed"] else "meh")
        checks = level["checks"]
        rows.append(
            f'<tr data-level="{escape(level["level"])}" data-claimed="{str(level["claimed"]).lower()}" '
            f'data-certified="{str(level["certified"]).lower()}" data-index="{index.get("share", 0):.6f}">'
            f"<td><code>{escape(level['level'])}</code> {escape(level['title'])}</td>"
            f'<td class="{tone}">{verdict}</td>'
            f"<td>{_pct(index.get('share', 0))} ({index.get('exercised', 0)}/{index.get('total', 0)})</td>"
            f"<td>{checks['passed']} passed, {checks['failed']} failed, {checks['not_applicable']} n/a</td>"
            f"<td>{escape('; '.join(level['reasons']))}"
            + (
                f"<br>unsupported: {escape(', '.join(level['unsupported_operations']))}"
                if level["unsupported_operations"]
                else ""
            )
            + "</td></tr>"
        )
    return (
        '<section id="levels"><h2>Certification per conformance level</h2>'
        '<table id="levels-table"><thead><tr><th>level</th><th>verdict</th><th>conformance index</th>'
        f"<th>checks</th><th>why</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _checks_table(checks: list[CheckResult], stage: Stage) -> str:
    rows = []
    for check in checks:
        status = check.status.value + (" (known)" if check.known else "")
        note = check.detail if check.status is Status.NOT_APPLICABLE else ""
        rows.append(
            f'<tr data-check="{escape(check.id)}" data-status="{check.status.value}">'
            f"<td><code>{escape(check.id)}</code></td>"
            f'<td class="status status-{check.status.value}">{escape(status)}</td>'
            f"<td>{escape(check.title)}</td><td>{escape(note)}</td></tr>"
        )
    return (
        f'<h3 id="stage-{stage.value}">{stage.value} ({len(checks)})</h3>'
        f'<table class="checks" data-stage="{stage.value}"><thead><tr><th>check</th><th>status</th>'
        f"<th>what it checks</th><th>note</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _coverage_table(figures: dict[str, Any], contract: Contract) -> str:
    rows = []
    for operation_id, entry in figures["per_operation"].items():
        operation = contract.operations[operation_id]
        documented, exercised = entry["documented"], entry["exercised"]
        cells = " ".join(
            f'<span class="{"good" if key in exercised else "bad"}">{escape(key)}</span>'
            for key in documented
        )
        rows.append(
            f'<tr data-operation="{escape(operation_id)}" data-documented="{len(documented)}" '
            f'data-exercised="{len(exercised)}"><td><code>{escape(operation_id)}</code></td>'
            f"<td><code>{escape(operation.label)}</code></td><td>{cells}</td>"
            f"<td>{len(exercised)}/{len(documented)}</td></tr>"
        )
    return (
        '<table id="coverage-table"><thead><tr><th>operation</th><th>request</th>'
        "<th>documented responses (green: exercised)</th><th>exercised</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def html_report(report: RunReport, contract: Contract) -> str:
    # Over 80 lines on purpose: one linear, self-contained HTML page, top to bottom; splitting it
    # would scatter the template across helpers that each render one fragment once.
    figures = report.index(contract)
    responses, operations = figures["responses"], figures["operations"]
    passed, failed = report.count(Status.PASSED), report.count(Status.FAILED)
    not_applicable = report.count(Status.NOT_APPLICABLE)
    cards = "".join(
        [
            _card(
                "score",
                "Score",
                _pct(report.score),
                _tone(report.score),
                f"{passed} of {report.applicable} applicable checks passed (each root failure once)",
                value=f"{report.score:.6f}",
                passed=passed,
                applicable=report.applicable,
            ),
            _card(
                "index",
                "Conformance index",
                _pct(responses["share"]),
                _tone(responses["share"]),
                f"{responses['exercised']} of {responses['total']} documented responses exercised",
                value=f"{responses['share']:.6f}",
                exercised=responses["exercised"],
                total=responses["total"],
            ),
            _card(
                "operations",
                "Operations exercised",
                f"{operations['exercised']}/{operations['total']}",
                _tone(operations["share"]),
                _pct(operations["share"]) + " of the contract's operations",
                value=f"{operations['share']:.6f}",
                exercised=operations["exercised"],
                total=operations["total"],
            ),
            _card(
                "counts",
                "Checks",
                str(len(report.checks)),
                "bad" if report.new_failures else "good",
                f"{passed} passed, {failed} failed ({report.known_count} known), {not_applicable} not applicable",
                passed=passed,
                failed=failed,
                known=report.known_count,
                not_applicable=not_applicable,
                new_failures=len(report.new_failures),
            ),
        ]
    )
    failures = (
        "".join(_failure(c, contract) for c in report.failures) or '<p id="no-failures">No failures.</p>'
    )
    stages = "".join(
        _checks_table([c for c in report.checks if c.stage is stage], stage)
        for stage in (*report.stages, Stage.CERTIFICATION)
        if any(c.stage is stage for c in report.checks)
    )
    fixed = ""
    if report.fixed:
        items = "".join(f"<li><code>{escape(i)}</code></li>" for i in report.fixed)
        fixed = f'<section id="fixed"><h2>Fixed since the baseline</h2><ul>{items}</ul></section>'
    undocumented = ""
    if figures["undocumented"]:
        items = "".join(f"<li><code>{escape(i)}</code></li>" for i in figures["undocumented"])
        undocumented = f'<h3>Undocumented statuses seen</h3><ul id="undocumented">{items}</ul>'
    notes = "".join(f"<li>{escape(n)}</li>" for n in report.notes)
    capabilities = escape(json.dumps(dict(report.capabilities), indent=2, ensure_ascii=False))
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>q2c verify: {escape(report.target)}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>q2c verify: billing adapter conformance</h1>
<p id="target" data-target="{escape(report.target)}">Target <code>{escape(report.target)}</code></p>
<p>Contract <span id="contract-version">{escape(report.contract_version)}</span> · stages
<span id="stages">{escape(", ".join(s.value for s in report.stages))}</span> · seed {report.seed} ·
started {escape(report.started_at.strftime("%Y-%m-%d %H:%M:%S UTC"))} ·
<span id="duration" data-seconds="{report.duration_seconds:.3f}">{report.duration_seconds:.1f}s</span></p>
</header>
<main>
<section id="summary"><div class="cards">{cards}</div></section>
{_levels(report)}
<section id="failures" data-count="{failed}"><h2>Failures ({failed})</h2>{failures}</section>
{fixed}
<section id="checks"><h2>All checks</h2>{stages}</section>
<section id="coverage"><h2>Contract coverage</h2>{_coverage_table(figures, contract)}{undocumented}</section>
<section id="capabilities"><h2>Declared capabilities</h2><pre>{capabilities}</pre></section>
<section id="notes"><h2>Notes</h2><ul>{notes}</ul></section>
</main>
</body>
</html>
"""
