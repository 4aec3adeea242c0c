from pathlib import Path

from rich.console import Console

from q2c.demo import run


async def test_demo_runs_the_whole_flow_to_zero_drift(tmp_path: Path) -> None:
    result = await run(seed=11, accounts=60, console=Console(quiet=True), state_dir=tmp_path)
    rows = dict(result.rows)
    assert result.ok, rows
    assert result.drift == 0
    assert rows["Salesforce accounts seeded"] == "60 (12 prospects, 3 missing billing data)"
    assert rows["accounts linked"] == "45 (45 created in billing)"
    assert rows["accounts refused"] == "3"
    assert int(rows["invoices synced to Salesforce"]) > 45
    assert len(result.refusals) == 3
    assert all("is required" in reason for _, reason in result.refusals)
