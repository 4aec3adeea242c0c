"""``q2c link``, ``sync``, ``query``, ``reconcile``, ``catalog-sync`` and ``orders``: the core's
actions API (q2c.actions_cli)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated

import typer
from rich.console import Console

from contracts import defaults
from q2c.cli.groups import grouped
from q2c.options import DEFAULT_CORE_URL, AccountIdsArg, CoreTokenOpt, CoreUrlOpt, JsonOpt


@dataclass(frozen=True)
class CoreTarget:
    """Which integration core to call, and with which token."""

    core_url: CoreUrlOpt = DEFAULT_CORE_URL
    token: CoreTokenOpt = defaults.CORE_API_TOKEN

    def call(self, method: str, path: str, body: object = None) -> object:
        """One actions-API call; a problem or an unreachable core: one red line, exit 2."""
        from q2c.actions_cli import ActionError, call

        try:
            return call(self.core_url, self.token, method, path, body)
        except ActionError as exc:
            Console(stderr=True).print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from None


def _selection(account_ids: list[str] | None) -> dict[str, object]:
    body: dict[str, object] = {"wait": True, "timeout_seconds": 3600}
    if account_ids:
        body["account_ids"] = account_ids
    return body


@grouped
def link(core: CoreTarget, account_ids: AccountIdsArg = None, output_json: JsonOpt = False) -> None:
    """Link Salesforce Accounts to billing accounts (given ids, or every account requesting it) and wait."""
    from q2c.actions_cli import print_link

    result = core.call("POST", "/actions/link", _selection(account_ids))
    assert isinstance(result, dict)
    if output_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        print_link(Console(), result)


@grouped
def sync(core: CoreTarget, account_ids: AccountIdsArg = None) -> None:
    """Sync financials and invoices from billing for linked accounts (given ids, or all) and wait."""
    Console().print_json(data=core.call("POST", "/actions/sync", _selection(account_ids)))


@grouped
def query(
    core: CoreTarget, account_id: Annotated[str, typer.Argument(help="A Salesforce Account Id.")]
) -> None:
    """What the core knows of one account: its link, last link outcome, financials, open jobs."""
    Console().print_json(data=core.call("GET", f"/actions/accounts/{account_id}"))


@grouped
def reconcile(core: CoreTarget, output_json: JsonOpt = False) -> None:
    """Compare every linked account in Salesforce with billing; exit 1 when anything drifted."""
    from q2c.actions_cli import print_drift

    report = core.call("POST", "/actions/reconcile")
    assert isinstance(report, dict)
    if output_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        print_drift(Console(), report)
    raise typer.Exit(1 if report["drift_count"] else 0)


@grouped
def catalog_sync(
    core: CoreTarget,
    product_ids: Annotated[
        list[str] | None, typer.Argument(help="Billing product ids (default: the whole catalog).")
    ] = None,
) -> None:
    """Pull billing's product catalog (or the products named) into the CRM and wait."""
    body: dict[str, object] = {"wait": True, "timeout_seconds": 3600}
    if product_ids:
        body["product_ids"] = product_ids
    Console().print_json(data=core.call("POST", "/actions/catalog-sync", body))


@grouped
def orders(
    core: CoreTarget,
    order_ids: Annotated[list[str], typer.Argument(help="Salesforce Order Ids (activated orders).")],
) -> None:
    """Process activated CRM orders now (work orders, the billing order, the inventory) and wait."""
    body = {"order_ids": order_ids, "wait": True, "timeout_seconds": 3600}
    Console().print_json(data=core.call("POST", "/actions/orders", body))


def register(app: typer.Typer) -> None:
    for command in (link, sync, query, reconcile, catalog_sync, orders):
        app.command()(command)
