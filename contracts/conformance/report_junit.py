"""JUnit XML for CI: one testsuite per stage, one testcase per check. Not-applicable checks,
baselined (known) failures and failures caused by another (counted at their root) are
``skipped``, so CI dashboards flag only new root failures. The ``certification`` suite carries
the verdict and conformance index per level as properties."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from contracts.conformance.results import CheckResult, RunReport, Stage, Status
from contracts.conformance.spec import Contract


def _skipped(check: CheckResult) -> bool:
    return check.status is Status.NOT_APPLICABLE or check.known or check.caused_by is not None


def _case(check: CheckResult, contract: Contract | None) -> ET.Element:
    case = ET.Element("testcase", classname=f"q2c-verify.{check.stage.value}", name=check.id, time="0")
    if check.status is Status.NOT_APPLICABLE:
        ET.SubElement(case, "skipped", message=f"not applicable: {check.detail}")
    elif check.status is Status.FAILED:
        text = f"Level: {check.level}\nExpected: {check.expected}\nActual: {check.actual}"
        if contract is not None:
            for where in contract.where(check.operations, check.stage.value):
                text += f"\nOperation: {where}"
        if check.reproduce:
            text += f"\nReproduce: {check.reproduce}"
        if check.detail:
            text += f"\n{check.detail}"
        if check.caused_by is not None:
            ET.SubElement(case, "skipped", message=f"caused by {check.caused_by} (counted there)").text = text
        elif check.known:
            ET.SubElement(case, "skipped", message="known failure (in the baseline)").text = text
        else:
            failure = ET.SubElement(case, "failure", message=f"{check.title}: expected {check.expected}")
            failure.text = text
    return case


def junit_xml(report: RunReport, contract: Contract | None = None) -> str:
    root = ET.Element("testsuites", name="q2c verify", time=f"{report.duration_seconds:.3f}")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for stage in Stage:
        checks = [c for c in report.checks if c.stage is stage]
        if not checks:
            continue
        failures = sum(1 for c in checks if c.status is Status.FAILED and not _skipped(c))
        skipped = sum(1 for c in checks if _skipped(c))
        suite = ET.SubElement(
            root,
            "testsuite",
            name=stage.value,
            tests=str(len(checks)),
            failures=str(failures),
            errors="0",
            skipped=str(skipped),
        )
        if stage is Stage.CERTIFICATION and report.levels:
            properties = ET.SubElement(suite, "properties")
            for level in report.levels:
                verdict = (
                    "certified"
                    if level["certified"]
                    else ("not certified" if level["claimed"] else "not claimed")
                )
                ET.SubElement(properties, "property", name=f"level.{level['level']}", value=verdict)
                share = level["index"].get("share", 0.0)
                ET.SubElement(
                    properties, "property", name=f"level.{level['level']}.index", value=f"{share:.6f}"
                )
        for check in checks:
            suite.append(_case(check, contract))
        totals["tests"] += len(checks)
        totals["failures"] += failures
        totals["skipped"] += skipped
    for name, value in totals.items():
        root.set(name, str(value))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
