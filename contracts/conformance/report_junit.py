"""JUnit XML for CI: one testsuite per stage, one testcase per check. Not-applicable checks and
baselined (known) failures are ``skipped``, so CI dashboards flag only new failures."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from contracts.conformance.results import CheckResult, RunReport, Stage, Status


def _case(check: CheckResult) -> ET.Element:
    case = ET.Element("testcase", classname=f"q2c-verify.{check.stage.value}", name=check.id, time="0")
    if check.status is Status.NOT_APPLICABLE:
        ET.SubElement(case, "skipped", message=f"not applicable: {check.detail}")
    elif check.status is Status.FAILED:
        text = f"Expected: {check.expected}\nActual: {check.actual}"
        if check.reproduce:
            text += f"\nReproduce: {check.reproduce}"
        if check.detail:
            text += f"\n{check.detail}"
        if check.known:
            ET.SubElement(case, "skipped", message="known failure (in the baseline)").text = text
        else:
            failure = ET.SubElement(case, "failure", message=f"{check.title}: expected {check.expected}")
            failure.text = text
    return case


def junit_xml(report: RunReport) -> str:
    root = ET.Element("testsuites", name="q2c verify", time=f"{report.duration_seconds:.3f}")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for stage in Stage:
        checks = [c for c in report.checks if c.stage is stage]
        if not checks:
            continue
        failures = sum(1 for c in checks if c.status is Status.FAILED and not c.known)
        skipped = sum(1 for c in checks if c.status is Status.NOT_APPLICABLE or c.known)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=stage.value,
            tests=str(len(checks)),
            failures=str(failures),
            errors="0",
            skipped=str(skipped),
        )
        for check in checks:
            suite.append(_case(check))
        totals["tests"] += len(checks)
        totals["failures"] += failures
        totals["skipped"] += skipped
    for name, value in totals.items():
        root.set(name, str(value))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
