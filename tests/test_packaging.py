"""The wheel holds the product and its data files, nothing else; the demo says clearly when it cannot run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from test_architecture import LAYERS

REPO = Path(__file__).resolve().parent.parent
PRODUCT = {"data_dictionary", "connectors", "mappings", "quality_checks", "pipeline", "trace_store"}
PRODUCT |= {"traceability", "steward", "write_back", "tracehub"}
DATA_FILES = [
    "data_dictionary/fields.yaml",
    "connectors/platforms/shopify.yaml",
    "mappings/specs/shipbob_shipment.yaml",
    "quality_checks/suites/shipment.yaml",
    "quality_checks/data_docs.css",
    "quality_checks/data_docs_page.html.j2",
    "tracehub/templates/recall_report.html.j2",
    "trace_store/migrations/env.py",
    "trace_store/migrations/script.py.mako",
    "traceability/epcis/standard/EPCIS-JSON-Schema.json",
    "tracehub/web/templates/base.html",
]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(out), str(REPO)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("tracehub-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_holds_the_product_layers_only(wheel):
    top = {name.split("/")[0] for name in wheel.namelist() if not name.split("/")[0].endswith(".dist-info")}
    assert top == PRODUCT
    assert set(LAYERS) > PRODUCT  # every product package is a layer of docs/architecture.md


def test_the_wheel_carries_its_data_files(wheel):
    names = set(wheel.namelist())
    missing = [path for path in DATA_FILES if path not in names]
    assert not missing
    assert any(n.startswith("trace_store/migrations/versions/") for n in names)


def test_demo_without_the_simulators_is_one_clear_line():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    code = (
        "import sys; sys.modules['simulators'] = None; sys.argv = ['tracehub', 'demo']; "
        "from tracehub.cli import main; main()"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    message = (done.stdout + done.stderr).strip()
    assert "Traceback" not in message
    assert "simulators/" in message and "source checkout" in message
