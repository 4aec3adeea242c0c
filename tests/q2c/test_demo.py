from rich.console import Console

from q2c.demo import _run


async def test_demo_exercises_the_system_and_passes() -> None:
    result = await _run(seed=11, console=Console(quiet=True))
    rows = dict(result.rows)
    assert result.ok, rows
    assert rows["deterministic seed"] == "same seed, same data"
    assert rows["signed webhook (Standard Webhooks)"].startswith("succeeded after 2 attempts [500, 204]")
    assert rows["fault sequence 503,ok"] == "[503, 404]"
    assert "(seed 11)" in rows["billing simulator"]
