"""The integration core runs against a real org and a real adapter without the fakes installed:
in a fresh interpreter where ``simulators`` cannot be imported at all, the core's app imports,
starts on a free port against nothing, and answers ``/health``."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import asyncio, importlib.abc, json, sys

    class NoSimulators(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "simulators" or name.startswith("simulators."):
                raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
            return None

    sys.meta_path.insert(0, NoSimulators())

    import aiohttp
    from aiohttp import web
    from pathlib import Path
    from integration.core import CoreSettings
    from integration.service import create_app

    async def main() -> dict:
        settings = CoreSettings(
            salesforce_url="http://127.0.0.1:9", billing_url="http://127.0.0.1:9", state_dir=Path(sys.argv[1])
        )
        runner = web.AppRunner(create_app(settings))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{port}/health") as response:
                    health = {"status": response.status, "body": await response.json()}
        finally:
            await runner.cleanup()
        loaded = sorted(m for m in sys.modules if m == "simulators" or m.startswith("simulators."))
        return {"health": health, "simulators_loaded": loaded}

    print(json.dumps(asyncio.run(main())))
    """
)


def run(script: str, state_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, str(state_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_core_starts_and_answers_health_without_the_simulators(tmp_path: Path) -> None:
    result = run(SCRIPT, tmp_path)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {
        "health": {"status": 200, "body": {"status": "ok", "component": "core"}},
        "simulators_loaded": [],
    }


def test_the_blocker_really_blocks(tmp_path: Path) -> None:
    """The same interpreter set-up refuses the fakes (so the test above proves something)."""
    blocked = SCRIPT.split("import aiohttp")[0] + "import simulators.kit\n"
    result = run(blocked, tmp_path)
    assert result.returncode != 0
    assert "ModuleNotFoundError: No module named 'simulators' (blocked)" in result.stderr
