"""Generate the Pub/Sub API stubs from Salesforce's proto: ``python -m contracts.salesforce_pubsub.generate``.

``pubsub_api.proto`` is Salesforce's published file (github forcedotcom/pub-sub-api, commit
``PROTO_COMMIT``), checked in unmodified. grpcio-tools generates the message module
(``pubsub_api_pb2.py``) and the service module (``pubsub_api_pb2_grpc.py``); mypy-protobuf
writes their stubs (``.pyi``), so messages, the servicer and the client stub are typed under
mypy --strict (grpcio-tools' own ``--pyi_out`` stubs are not strict-clean). protoc runs from the repository root, so the generated service module
imports the messages as ``contracts.salesforce_pubsub.pubsub_api_pb2`` (a package import, not a
top-level one). ``tests/contracts`` regenerates into a temporary folder and compares byte for
byte, so an edit of a generated file by hand fails the suite.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PROTO = HERE / "pubsub_api.proto"
PROTO_COMMIT = "0ba470114fd8dac1e18a2c981efdafc87fcc69d1"
#: sha256 of pubsub_api.proto at PROTO_COMMIT: the checked-in copy is Salesforce's, unmodified.
PROTO_SHA256 = "0a651295ff3ff13551b3ae7cb6fe87cf91b749a8ae33b6079617dbc62f304eb5"
GENERATED = (
    "pubsub_api_pb2.py",
    "pubsub_api_pb2.pyi",
    "pubsub_api_pb2_grpc.py",
    "pubsub_api_pb2_grpc.pyi",
)


def generate(target: Path = HERE) -> None:
    """Write the generated modules (``GENERATED``) into ``target``."""
    relative = PROTO.relative_to(ROOT).as_posix()
    with tempfile.TemporaryDirectory() as work:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "grpc_tools.protoc",
                f"--proto_path={ROOT}",
                f"--python_out={work}",
                f"--grpc_python_out={work}",
                f"--mypy_out={work}",
                f"--mypy_grpc_out={work}",
                # protoc looks plugins up on PATH; use mypy-protobuf's beside this Python.
                f"--plugin=protoc-gen-mypy={Path(sys.executable).parent / 'protoc-gen-mypy'}",
                f"--plugin=protoc-gen-mypy_grpc={Path(sys.executable).parent / 'protoc-gen-mypy_grpc'}",
                relative,
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        if done.returncode != 0:
            raise RuntimeError(f"protoc failed:\n{done.stdout}{done.stderr}")
        produced = Path(work) / Path(relative).parent
        target.mkdir(parents=True, exist_ok=True)
        for name in GENERATED:
            shutil.copyfile(produced / name, target / name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=Path, default=HERE, help="folder to write into")
    generate(parser.parse_args(argv).target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
