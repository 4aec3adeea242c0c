"""The Tooling API under ``/services/data/vXX.X/tooling``, as far as data clients reach it.

The Salesforce CLI probes it on login and in its data commands (``SandboxProcess``,
``SandboxInfo``, ``SourceMember``); this org has none of those features, so the queries bind
and validate as SOQL does and return no rows (``models/tooling.py``). Tooling queries answer in
the Tooling shape: ``size``, ``totalSize``, ``done``, ``queryLocator``, ``entityTypeName``,
``records``.
"""

from __future__ import annotations

from simulators.salesforce import catalogue, soql
from simulators.salesforce.api.core import Call, Result
from simulators.salesforce.models.tooling import ToolingSource


def query(call: Call) -> Result:
    text = call.arg("q")
    if text is None or not text.strip():
        raise catalogue.NO_QUERY.error()
    result = soql.execute(text, ToolingSource(call.org.store.now), record_url=lambda o, i: "")
    return Result(
        200,
        {
            "size": 0,
            "totalSize": 0,
            "done": True,
            "queryLocator": None,
            "entityTypeName": result.object_name if result.records else None,
            "records": [],
        },
    )


def sobjects(call: Call) -> Result:
    """The Tooling describeGlobal, listing the objects this org's Tooling API has."""
    names = ToolingSource(call.org.store.now).names()
    base = f"/services/data/{call.version}/tooling/sobjects"
    return Result(
        200,
        {
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [
                {
                    "name": name,
                    "label": name,
                    "queryable": True,
                    "createable": False,
                    "updateable": False,
                    "deletable": False,
                    "urls": {"sobject": f"{base}/{name}", "describe": f"{base}/{name}/describe"},
                }
                for name in names
            ],
        },
    )
