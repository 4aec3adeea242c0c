"""The ``q2c`` console entry point: the app, with its commands registered by group.

servers (up, salesforce, billing, core), actions (link, sync, query, reconcile), tools (demo,
load, locust, bench) and verify; each module declares its options once (q2c.cli.groups).
"""

from __future__ import annotations

import importlib.util

import typer

from q2c.cli import actions, servers, tools
from q2c.cli.verify import verify

app = typer.Typer(
    name="q2c",
    help="q2c-sandbox: Salesforce, billing and the integration core between them, on your laptop.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
servers.register(app)
tools.register(app)
actions.register(app)
app.command()(verify)

# `q2c chaos` (the chaos gate) registers itself once its module exists.
if importlib.util.find_spec("q2c.chaos_cli") is not None:
    from q2c.chaos_cli import chaos

    app.command()(chaos)


def main() -> None:
    app()
