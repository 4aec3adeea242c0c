"""Generate the typed billing wire models from the contract: ``python -m contracts.generate``
(``make models``).

The billing adapter contract is the one definition of the billing wire format; the simulator's
serialisers, the integration core's billing client and ``q2c verify`` all use the pydantic models
generated from its component schemas by datamodel-code-generator into
``contracts/generated/billing_models.py``, checked in. The output is formatted and linted with the
project's own ruff settings, so the file is clean as generated; ``tests/contracts`` regenerates it
into a temporary file and compares byte for byte, so an edit of the contract without
``make models`` (or an edit of the generated file by hand) fails the suite.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from contracts import spec_path

ROOT = Path(__file__).resolve().parents[1]
TARGET = Path(__file__).resolve().parent / "generated" / "billing_models.py"
HEADER = (
    "# GENERATED from contracts/billing-adapter.openapi.yaml by datamodel-code-generator:\n"
    "# do not edit. Regenerate with `make models` (python -m contracts.generate)."
)
# The generator's options, one place: pydantic v2 models for Python 3.11, closed objects where
# the contract says additionalProperties: false, enums as Literal types, money as the contract's
# decimal strings, timestamps timezone-aware.
OPTIONS = (
    "--input-file-type=openapi",
    "--output-model-type=pydantic_v2.BaseModel",
    "--target-python-version=3.11",
    "--disable-timestamp",
    "--use-annotated",
    "--field-constraints",
    "--use-standard-collections",
    "--use-union-operator",
    "--enum-field-as-literal=all",
    "--use-double-quotes",
    "--collapse-root-models",
    "--use-schema-description",
    "--output-datetime-class=AwareDatetime",
    "--formatters=builtin",
)


def _run(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed:\n{done.stdout}{done.stderr}")


def generate(target: Path = TARGET) -> None:
    """Write the models generated from the contract to ``target``."""
    with tempfile.TemporaryDirectory() as work:
        raw = Path(work) / "billing_models.py"
        _run(
            "datamodel_code_generator",
            f"--input={spec_path('billing-adapter')}",
            f"--output={raw}",
            f"--custom-file-header={HEADER}",
            *OPTIONS,
        )
        config = f"--config={ROOT / 'pyproject.toml'}"
        _run("ruff", "check", config, "--fix-only", "--exit-zero", "--quiet", str(raw))
        _run("ruff", "format", config, "--quiet", str(raw))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw.read_bytes())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=TARGET, help="where to write (default: %(default)s)")
    generate(parser.parse_args(argv).output)


if __name__ == "__main__":
    main()
