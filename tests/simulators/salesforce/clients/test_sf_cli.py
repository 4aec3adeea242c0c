"""The official Salesforce CLI (npm ``@salesforce/cli``, pinned), unmodified, against the simulator
over HTTPS: every login flow it offers, ``org display``, ``data query`` in its three formats,
record CRUD, Bulk API 2.0 import/export, sObject tree import/export and ``limits api display``.

Each command runs once per fact asserted; the org is logged in once per module (the CLI keeps
its auth in the module's HOME).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.support.node_clients import NodeClients
from tests.support.salesforce import LiveSalesforce

pytestmark = pytest.mark.slow

USER = "admin@q2c.local"


@pytest.fixture(scope="module")
def org(clients: NodeClients, live_sf: LiveSalesforce) -> str:
    """``sf org login access-token`` once for the module; the username is the target org."""
    live_sf.reset()
    result = clients.sf_json(
        "org",
        "login",
        "access-token",
        "--instance-url",
        live_sf.url,
        "--no-prompt",
        SF_ACCESS_TOKEN=live_sf.token(),
    )
    assert result["username"] == USER
    assert result["orgId"].startswith("00D")
    return USER


def refresh_token(live: LiveSalesforce) -> str:
    with live.session() as session:
        response = session.post(
            f"{live.url}/services/oauth2/token",
            data={
                "grant_type": "password",
                "client_id": "q2c-local-client",
                "client_secret": "q2c-local-secret",
                "username": USER,
                "password": "q2c-passwordq2c-token",
                "scope": "api refresh_token",
            },
            timeout=30,
        )
    response.raise_for_status()
    token: str = response.json()["refresh_token"]
    return token


# -- login, every flow ----------------------------------------------------------------------------


def test_login_access_token_reads_userinfo(node_root: Path, live_sf: LiveSalesforce, tmp_path: Path) -> None:
    clients = NodeClients(node_root, tmp_path, live_sf.ca)
    result = clients.sf_json(
        "org",
        "login",
        "access-token",
        "--instance-url",
        live_sf.url,
        "--no-prompt",
        SF_ACCESS_TOKEN=live_sf.token(),
    )
    assert result["username"] == USER
    assert result["instanceUrl"].rstrip("/") == live_sf.url


def test_login_sfdx_url_refreshes_then_reads_the_org(
    node_root: Path, live_sf: LiveSalesforce, tmp_path: Path
) -> None:
    clients = NodeClients(node_root, tmp_path, live_sf.ca)
    url_file = tmp_path / "auth-url.txt"
    url_file.write_text(
        f"force://q2c-local-client:q2c-local-secret:{refresh_token(live_sf)}@{live_sf.host}:{live_sf.port}\n"
    )
    result = clients.sf_json("org", "login", "sfdx-url", "--sfdx-url-file", str(url_file))
    assert result["username"] == USER
    assert result["name"] == "Q2C Sandbox"
    assert result["orgEdition"] == "Enterprise Edition"
    assert result["isSandbox"] is False
    assert result["trailExpirationDate"] is None  # sic: the CLI's own key


def test_login_jwt(node_root: Path, live_sf: LiveSalesforce, tmp_path: Path) -> None:
    clients = NodeClients(node_root, tmp_path, live_sf.ca)
    result = clients.sf_json(
        "org",
        "login",
        "jwt",
        "--client-id",
        "q2c-local-client",
        "--jwt-key-file",
        str(live_sf.jwt_key),
        "--username",
        USER,
        "--instance-url",
        live_sf.url,
    )
    assert result["username"] == USER
    assert result["instanceName"] == "Q2C1"


def test_org_display_is_connected(clients: NodeClients, org: str) -> None:
    result = clients.sf_json("org", "display", "--target-org", org)
    assert result["connectedStatus"] == "Connected"
    assert result["username"] == USER
    assert result["apiVersion"] == "66.0"


# -- data query --------------------------------------------------------------------------------


QUERY = "SELECT Id, Name, Account.Name, Account.Owner.Name FROM Contact ORDER BY Name LIMIT 3"


def test_query_table_lays_out_relationship_columns(
    clients: NodeClients, org: str, live_sf: LiveSalesforce
) -> None:
    out = clients.sf("data", "query", "--target-org", org, "--query", QUERY).stdout
    header = next(line for line in out.splitlines() if "ACCOUNT.NAME" in line)
    assert [cell.strip() for cell in header.strip("│ ").split("│")] == [
        "ID",
        "NAME",
        "ACCOUNT.NAME",
        "ACCOUNT.OWNER.NAME",
    ]
    assert "Q2C Admin" in out
    assert "Total number of records retrieved: 3." in out


def test_query_csv_and_json_formats(clients: NodeClients, org: str) -> None:
    text = clients.sf("data", "query", "--target-org", org, "--query", QUERY, "--result-format", "csv").stdout
    rows = list(csv.reader(io.StringIO(text[text.index("Id,") :])))
    assert rows[0] == ["Id", "Name", "Account.Name", "Account.Owner.Name"]
    assert len(rows) == 4
    assert all(row[3] == "Q2C Admin" for row in rows[1:])
    result = clients.sf_json("data", "query", "--target-org", org, "--query", QUERY)
    assert result["totalSize"] == 3
    first = result["records"][0]
    assert first["Account"]["Owner"]["Name"] == "Q2C Admin"
    assert [row["Name"] for row in result["records"]] == [row[1] for row in rows[1:]]


def test_query_child_subquery_and_aggregate(clients: NodeClients, org: str) -> None:
    text = clients.sf(
        "data",
        "query",
        "--target-org",
        org,
        "--result-format",
        "csv",
        "--query",
        "SELECT Name, (SELECT LastName FROM Contacts) FROM Account ORDER BY Name LIMIT 2",
    ).stdout
    header = text[text.index("Name,") :].splitlines()[0]
    assert header.startswith("Name,Contacts.totalSize,Contacts.records.0.LastName")
    out = clients.sf(
        "data",
        "query",
        "--target-org",
        org,
        "--query",
        "SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry ORDER BY Industry LIMIT 2",
    ).stdout
    assert "COUNT(ID)" in out  # the displayName of expr0, from columns=true


# -- records ------------------------------------------------------------------------------------


def test_record_create_get_update_delete(clients: NodeClients, org: str) -> None:
    created = clients.sf_json(
        "data",
        "create",
        "record",
        "--target-org",
        org,
        "--sobject",
        "Account",
        "--values",
        "Name='CLI Record Co' Industry=Retail",
    )
    assert created["success"] is True
    record_id = created["id"]
    got = clients.sf_json(
        "data", "get", "record", "--target-org", org, "--sobject", "Account", "--record-id", record_id
    )
    assert (got["Name"], got["Industry"]) == ("CLI Record Co", "Retail")
    updated = clients.sf_json(
        "data",
        "update",
        "record",
        "--target-org",
        org,
        "--sobject",
        "Account",
        "--record-id",
        record_id,
        "--values",
        "Name='CLI Renamed Co'",
    )
    assert updated["success"] is True
    assert (
        clients.sf_json(
            "data", "get", "record", "--target-org", org, "--sobject", "Account", "--record-id", record_id
        )["Name"]
        == "CLI Renamed Co"
    )
    deleted = clients.sf_json(
        "data", "delete", "record", "--target-org", org, "--sobject", "Account", "--record-id", record_id
    )
    assert deleted["id"] == record_id
    missing = clients.sf(
        "data",
        "get",
        "record",
        "--target-org",
        org,
        "--sobject",
        "Account",
        "--record-id",
        record_id,
        "--json",
        check=False,
    )
    assert missing.returncode != 0
    assert "entity is deleted" in missing.stdout


def test_record_create_error_is_salesforces(clients: NodeClients, org: str) -> None:
    result = clients.sf(
        "data",
        "create",
        "record",
        "--target-org",
        org,
        "--sobject",
        "Account",
        "--values",
        "Industry=Retail",
        "--json",
        check=False,
    )
    assert result.returncode == 1
    body = json.loads(result.stdout)
    assert "Required fields are missing: [Name]" in body["message"]


# -- bulk and tree --------------------------------------------------------------------------------


def test_bulk_import_then_export(clients: NodeClients, org: str) -> None:
    source = clients.home / "bulk-in.csv"
    source.write_text("Name,Industry\nBulk CLI One,Retail\nBulk CLI Two,Energy\n")
    imported = clients.sf_json(
        "data",
        "import",
        "bulk",
        "--target-org",
        org,
        "--sobject",
        "Account",
        "--file",
        str(source),
        "--wait",
        "5",
    )
    assert (imported["processedRecords"], imported["successfulRecords"], imported["failedRecords"]) == (
        2,
        2,
        0,
    )
    out = clients.home / "bulk-out.csv"
    exported = clients.sf_json(
        "data",
        "export",
        "bulk",
        "--target-org",
        org,
        "--wait",
        "5",
        "--output-file",
        str(out),
        "--query",
        "SELECT Name, Industry FROM Account WHERE Name LIKE 'Bulk CLI%' ORDER BY Name",
    )
    assert exported["totalSize"] == 2
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {(row["Name"], row["Industry"]) for row in rows} == {
        ("Bulk CLI One", "Retail"),
        ("Bulk CLI Two", "Energy"),
    }


def test_tree_export_then_import(clients: NodeClients, org: str) -> None:
    folder = clients.home / "tree"
    exported = clients.sf_json(
        "data",
        "export",
        "tree",
        "--target-org",
        org,
        "--output-dir",
        str(folder),
        "--query",
        "SELECT Name, (SELECT LastName FROM Contacts) FROM Account ORDER BY Name LIMIT 1",
    )
    account = exported["records"][0]
    plan = next(folder.glob("*.json"))
    document = json.loads(plan.read_text())
    document["records"][0]["Name"] = "Tree CLI Co"
    plan.write_text(json.dumps(document))
    imported = clients.sf_json("data", "import", "tree", "--target-org", org, "--files", str(plan))
    contacts = account.get("Contacts", {}).get("records", [])
    assert [row["type"] for row in imported] == ["Account"] + ["Contact"] * len(contacts)
    check = clients.sf_json(
        "data",
        "query",
        "--target-org",
        org,
        "--query",
        "SELECT COUNT() FROM Contact WHERE Account.Name = 'Tree CLI Co'",
    )
    assert check["totalSize"] == len(contacts)


def test_limits_api_display(clients: NodeClients, org: str) -> None:
    limits = {row["name"]: row for row in clients.sf_json("limits", "api", "display", "--target-org", org)}
    daily = limits["DailyApiRequests"]
    assert daily["max"] == 100_000
    assert 0 < daily["max"] - daily["remaining"] < 1000


def test_sobject_describe_and_list(clients: NodeClients, org: str) -> None:
    described = clients.sf_json("sobject", "describe", "--target-org", org, "--sobject", "Account")
    fields = {field["name"]: field for field in described["fields"]}
    assert described["name"] == "Account"
    assert fields["Billing_Account_Number__c"]["externalId"] is True
    listed = clients.sf_json("sobject", "list", "--target-org", org, "--sobject", "all")
    assert {"Account", "Contact", "Organization", "Billing_Service__c"} <= set(listed)
