"""``q2c link``, ``q2c sync``, ``q2c query`` and ``q2c reconcile``: the core's actions API from
the command line (the counterpart of the CRM's quick actions)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from rich.console import Console
from rich.table import Table


class ActionError(Exception):
    """The core answered with a problem, or could not be reached: one line for the user."""


async def call_core(
    core_url: str, token: str, method: str, path: str, body: Any = None, *, timeout: float = 3600
) -> Any:
    """One actions-API call; a problem or an unreachable core is an ``ActionError`` (one line)."""
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
            session.request(method, core_url.rstrip("/") + path, json=body, headers=headers) as response,
        ):
            payload = await response.json(content_type=None)
            if response.status >= 400:
                detail = payload.get("detail") if isinstance(payload, dict) else payload
                raise ActionError(f"{method} {path}: {response.status} {detail}")
            return payload
    except aiohttp.ClientError as exc:
        raise ActionError(f"cannot reach the integration core at {core_url}: {exc}") from None


def call(core_url: str, token: str, method: str, path: str, body: Any = None) -> Any:
    return asyncio.run(call_core(core_url, token, method, path, body))


def print_link(console: Console, result: dict[str, Any]) -> None:
    table = Table(title="link", title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("selected", str(result["selected"]))
    for status, count in sorted(result.get("outcomes", {}).items()):
        table.add_row(status, str(count))
    table.add_row("created in billing", str(result.get("created", 0)))
    console.print(table)
    for account_id, message in sorted(result.get("refused", {}).items()):
        console.print(f"[yellow]refused[/yellow] {account_id}: {message}")
    for account_id in result.get("not_found", []):
        console.print(f"[red]not found[/red] {account_id}")


def print_drift(console: Console, report: dict[str, Any]) -> None:
    console.print(
        f"checked {report['accounts_checked']} linked accounts and {report['invoices_checked']} invoices: "
        f"drift {report['drift_count']}"
    )
    if report["drift"]:
        table = Table(title="drift", title_justify="left")
        for column in ("account", "object", "record", "field", "salesforce", "billing"):
            table.add_column(column)
        for d in report["drift"][:200]:
            table.add_row(
                d["sf_account_id"],
                d["object"],
                d["record"],
                d["field"],
                str(d["salesforce"]),
                str(d["billing"]),
            )
        console.print(table)
