"""Fixtures for the generated-client test: the live server and a freshly generated client.

fuzz/run-client-test.sh starts the server (fuzz/lib.sh) and exports FUZZ_BASE_URL, FUZZ_TOKEN,
FUZZ_CONTRACT (the committed contract) and FUZZ_CLIENT_DIR (a temp dir). The client is generated
here, at test time, from the committed contract — generated code is never committed.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = "atlas_ops_client"
ROOT = Path(__file__).resolve().parents[2]


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if not value:
        pytest.fail(f"{name} is not set: run this through fuzz/run-client-test.sh (make client-test)")
    return value


@pytest.fixture(scope="session")
def base_url() -> str:
    return _env("FUZZ_BASE_URL").rstrip("/")


@pytest.fixture(scope="session")
def token() -> str:
    return _env("FUZZ_TOKEN")


@pytest.fixture(scope="session")
def generator_log(generated) -> str:
    """What openapi-python-client printed while generating the client."""
    return generated.__generator_log__


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory):
    """Generates the client from the committed contract and imports it."""
    contract = Path(_env("FUZZ_CONTRACT", str(ROOT / "openapi/system-ops-runbooks.openapi.yaml")))
    if not contract.is_file():
        pytest.fail(f"committed contract {contract} does not exist (make openapi)")
    out_root = Path(os.environ.get("FUZZ_CLIENT_DIR") or tmp_path_factory.mktemp("client"))
    out_root.mkdir(parents=True, exist_ok=True)
    out = out_root / PACKAGE
    generator = Path(sys.executable).with_name("openapi-python-client")
    proc = subprocess.run(
        [
            str(generator), "generate",
            "--path", str(contract),
            "--meta", "none",
            "--output-path", str(out),
            "--config", str(Path(__file__).with_name("generator-config.yaml")),
            "--overwrite",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    log = proc.stdout + proc.stderr
    if proc.returncode != 0 or not (out / "__init__.py").is_file():
        pytest.fail(f"openapi-python-client failed (exit {proc.returncode}):\n{log}")
    sys.path.insert(0, str(out_root))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    package = importlib.import_module(PACKAGE)
    # Warnings (operations or models the generator had to drop) are asserted on by
    # test_contract.py; the flow test runs regardless.
    package.__generator_log__ = log
    return package
