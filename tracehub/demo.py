"""`tracehub demo`: a generated world served by simulated platforms, synced through real Airflow.

The world, its ground truth and defect plan are kept under `<home>/world/`; a second run with
the same seed and scale serves the same world again, so it must load nothing new.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from pipeline import settings
from tracehub import report

DAGS_FOLDER = Path(__file__).resolve().parent.parent / "dags"

ERP_STUDIO_FIELDS: dict[str, dict[str, str]] = {
    "device": {
        "name_zh": "x_studio_name_zh",
        "model": "x_studio_model",
        "registration_no": "x_studio_registration_no",
        "risk_class": "x_studio_risk_class",
    },
    "party": {"role": "x_studio_role", "licence_no": "x_studio_licence_no"},
    "lot": {
        "production_date": "x_studio_production_date",
        "qc_status": "x_studio_qc_status",
        "manufacturer": "x_studio_manufacturer",
    },
    "batch_record": {"qc_decision": "x_studio_qc_decision", "inspector": "x_studio_inspector"},
}
"""The demo customer's Odoo Studio fields, as its integration engineer maps them (field_map)."""
WAREHOUSE_FIELDS: dict[str, dict[str, str]] = {"inventory": {"expiry_date": "lot.lot_date"}}
"""The demo warehouse keeps each lot's expiry in ShipBob's `lot_date`."""
COMPANY_TIMEZONE = "Asia/Shanghai"

DEMO_SOURCES: dict[str, dict[str, Any]] = {
    "erp": {
        "kind": "odoo",
        "rate_limit": None,
        "page_size": 200,
        "timezone": COMPANY_TIMEZONE,
        "field_map": ERP_STUDIO_FIELDS,
    },
    "shop": {"kind": "shopify", "rate_limit": {"requests": 2, "per_seconds": 1, "burst": 40}, "page_size": 250},
    "warehouse": {
        "kind": "shipbob",
        "rate_limit": {"requests": 150, "per_seconds": 60, "burst": 20},
        "page_size": 250,
        "field_map": WAREHOUSE_FIELDS,
    },
}
"""Demo source name -> platform; synced in this order (master data from the ERP first)."""

WOO_ERPNEXT_CSV: dict[str, dict[str, Any]] = {
    "erp": {
        "kind": "erpnext",
        "entities": ["device", "party", "batch_record", "invoice", "serial_number"],
        "rate_limit": None,
        "page_size": 100,
        "timezone": COMPANY_TIMEZONE,
    },
    "shop": {"kind": "woocommerce", "entities": ["variant", "order"], "rate_limit": None, "page_size": 100},
    "warehouse": {"kind": "drop", "entities": ["shipment"], "timezone": COMPANY_TIMEZONE},
}
"""A smaller seller's stack: ERPNext, a WooCommerce store and a 3PL that sends daily CSV / XLSX files.

Each shipment is taken from the 3PL only, as it is the one that ships: ERPNext's delivery notes and
the store's completed orders describe the same parcels, and a second copy would count every unit twice.
"""

WORLDS: dict[str, dict[str, dict[str, Any]]] = {"classic": DEMO_SOURCES, "woo-erpnext-csv": WOO_ERPNEXT_CSV}
"""Demo world name -> its sources; `classic` (Odoo, Shopify, ShipBob) is what `make demo` runs."""
DEFAULT_WORLD = "classic"


def checkout_problem() -> str | None:
    """Why the demo cannot run here, or None: it needs `simulators/` and `dags/` from a source checkout.

    The wheel holds the product only; the simulated platforms and the DAG files come with the
    repository, where `make demo` runs.
    """
    fix = "they come with a source checkout, not the wheel: clone the repository and run `make demo` there"
    try:
        import simulators  # noqa: F401
    except ImportError:
        return f"tracehub demo needs the simulated platforms (simulators/); {fix}"
    if not DAGS_FOLDER.is_dir():
        return f"tracehub demo needs the DAG files ({DAGS_FOLDER}); {fix}"
    return None


def load_or_generate_world(folder: Path, seed: int, scale: float) -> Any:
    """The world for (seed, scale): read from `folder` if it holds that one, else generate it."""
    from simulators.world import World, generate_world

    meta_path = folder / "meta.json"
    meta = {"seed": seed, "scale": scale}
    if meta_path.exists() and json.loads(meta_path.read_text()) == meta:
        return World.read(folder)
    world = generate_world(seed, scale)
    folder.mkdir(parents=True, exist_ok=True)
    world.write(folder)
    meta_path.write_text(json.dumps(meta))
    return world


def serve_world(stack: ExitStack, name: str, world: Any, home: Path, console: Console | None = None) -> Path:
    """Serve demo world `name`'s platforms for `world` (drops written under `home`) and write its sources file.

    Tokens are new each run and set in the environment, where the sources file names them.
    """
    from simulators.server import start

    endpoints: dict[str, tuple[str, str | None]] = {}
    for source, spec in WORLDS[name].items():
        token = secrets.token_urlsafe(24)
        if spec["kind"] == "drop":
            folder = home / "demo" / "drops" / source
            write_drops_once(world, folder)
            base_url, login = folder.resolve().as_uri(), None
        else:
            base_url = stack.enter_context(start(spec["kind"], world, token=token)).base_url
            login = _login(spec["kind"], token)
            os.environ[token_env(source)] = f"cs_{token}" if spec["kind"] == "woocommerce" else token
        endpoints[source] = (base_url, login)
        if console is not None:
            console.print(f"simulated {spec['kind']:8} {source:10} at {base_url}")
    sources_file = home / "demo" / "sources.yaml"
    write_demo_sources(sources_file, endpoints, WORLDS[name])
    return sources_file


def write_drops_once(world: Any, folder: Path) -> None:
    """The world's daily 3PL files in `folder`, written only when it does not hold this world's already.

    A workbook's bytes change each time it is saved, and the 3PL sends each day's file once: a rerun
    of the same world must find the same files, so it loads nothing new.
    """
    import shutil

    from simulators.drops import write_drops

    stamp = folder / ".world"
    meta = json.dumps({"seed": world.seed, "scale": world.scale})
    if stamp.exists() and stamp.read_text() == meta:
        return
    shutil.rmtree(folder, ignore_errors=True)
    write_drops(world, folder)
    stamp.write_text(meta)


def _login(kind: str, token: str) -> str | None:
    """The user part of a platform's credentials, as the simulators accept it (simulators/__main__.py)."""
    from simulators import erpnext, odoo

    return {"odoo": odoo.LOGIN, "erpnext": erpnext.API_KEY, "woocommerce": f"ck_{token}"}.get(kind)


def write_demo_sources(
    path: Path, endpoints: dict[str, tuple[str, str | None]], specs: dict[str, dict[str, Any]]
) -> None:
    """A sources file pointing at the running simulators (base URL, login); secrets come from the environment."""
    from connectors.config import ENTITIES_BY_KIND
    from simulators import odoo
    from simulators.drops import COLUMNS

    sources = []
    for name, spec in specs.items():
        base_url, login = endpoints[name]
        entry: dict[str, Any] = {
            "name": name,
            "kind": spec["kind"],
            "base_url": base_url,
            "entities": list(spec.get("entities", ENTITIES_BY_KIND[spec["kind"]])),
        }
        if spec["kind"] != "drop":  # a local folder needs no credentials
            entry["credentials"] = {"env": token_env(name)}
        entry.update(schedule="@hourly", lookback_minutes=10)
        if "page_size" in spec:
            entry["page_size"] = spec["page_size"]
        entry["timeout_seconds"] = 10
        if spec.get("rate_limit"):
            entry["rate_limit"] = spec["rate_limit"]
        entry.update({key: spec[key] for key in ("timezone", "field_map") if key in spec})
        if spec["kind"] == "odoo":
            entry["database"] = odoo.DATABASE
        if login is not None:
            entry["login"] = login
        if spec["kind"] == "drop":  # the files are written whole before the run: no need to wait for them to settle
            entry["drop"] = {"settle_seconds": 0, "shipment": {"files": ["*.csv", "*.xlsx"], "columns": COLUMNS}}
        sources.append(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"sources": sources}, sort_keys=False, allow_unicode=True))


def token_env(source: str) -> str:
    return f"TRACEHUB_DEMO_{source.upper()}_TOKEN"


def airflow_environment(home: Path) -> dict[str, str]:
    """Airflow settings for an embedded run: SQLite metadata under the Tracehub home."""
    return {
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
    }


def prepare_airflow(home: Path, sources_file: Path) -> None:
    """Migrate the metadata database and provision pools as a deploy would (must run before importing Airflow)."""
    os.environ.update(airflow_environment(home))
    (home / "airflow").mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
    from connectors.config import load_sources
    from pipeline.provision import provision

    provision(load_sources(sources_file))


def run_dags(dag_ids: list[str]) -> dict[str, str]:
    """Load the DAG folder through Airflow's DagBag and run each DAG with `dag.test()`."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    states = {}
    for dag_id in dag_ids:
        run = bag.dags[dag_id].test()
        states[dag_id] = str(run.state)
    return states


def run_demo(seed: int, scale: float, console: Console, world_name: str = DEFAULT_WORLD) -> dict[str, str]:
    """Set everything up, sync the world's three platforms through Airflow and print what landed."""
    from simulators.world import expected_trace
    from trace_store.store import Store

    warnings.filterwarnings("ignore", category=DeprecationWarning)  # Airflow internals, not ours to fix
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    home = settings.home()
    title = f"Tracehub demo (seed {seed}, scale {scale})"
    console.rule(title if world_name == DEFAULT_WORLD else f"{title}, world {world_name}")
    world = load_or_generate_world(home / "world", seed, scale)
    console.print(f"world: {home / 'world'} (world.json, ground_truth.json, defect_plan.json)")

    with ExitStack() as stack:
        sources_file = serve_world(stack, world_name, world, home, console)
        os.environ["TRACEHUB_SOURCES"] = str(sources_file)

        store = Store.open(settings.db_url())
        store.upgrade()
        store.close()
        console.print("preparing Airflow (metadata DB, pools) ...")
        prepare_airflow(home, sources_file)
        from pipeline.dags import MAINTENANCE_DAG_ID

        dag_ids = [*(f"sync_{name}" for name in WORLDS[world_name]), MAINTENANCE_DAG_ID]
        with console.status("running sync DAGs through Airflow (dag.test) ..."):
            states = run_dags(dag_ids)
    for dag_id, state in states.items():
        colour = "green" if state.endswith("success") else "red"
        console.print(f"Airflow DAG {dag_id}: [{colour}]{state}[/]")
    print_summary(console, expected_trace(world))
    if any(not s.endswith("success") for s in states.values()):
        raise SystemExit(1)
    return states


def print_summary(console: Console, expected: dict[str, Any]) -> None:
    """Counts per source and entity, quarantine by rule, and one lot traced to its customers."""
    from trace_store import queries
    from trace_store.store import Store

    store = Store.open(settings.db_url())
    try:
        data = queries.stats(store)
        console.print(report.runs_table(data["runs"]))
        console.print(report.rules_table(data["quarantine_by_rule"]))
        _print_findings_and_reconciliation(console, store)
        shown = _lot_to_show(store, expected)
        if shown is None:
            console.print("[red]no lot of the ground truth can be traced in the store[/]")
            return
        gtin, lot, shipped = shown
        console.print(report.trace_table(gtin, lot, shipped))
        console.print(f"next: tracehub trace lot {gtin} '{lot}' | tracehub quarantine list | tracehub stats")
    finally:
        store.close()


def _lot_to_show(store: Any, expected: dict[str, Any]) -> tuple[str, str, list[Any]] | None:
    """The lot the ground truth says went to the most customers among those the store can trace.

    A world's platforms may not carry every lot (ERPNext has no lot master), so the pick is checked
    against what loaded rather than assumed.
    """
    from traceability import deliveries

    for key in sorted(expected["lots"], key=lambda k: (len(expected["lots"][k]), k), reverse=True):
        gtin, lot = key.split("|", 1)
        shipped = deliveries.trace_lot(store, gtin, lot)
        if shipped:
            return gtin, lot, shipped
    return None


def _print_findings_and_reconciliation(console: Console, store: Any) -> None:
    """What the trace_maintenance DAG just evaluated: open findings by rule, and the order figures."""
    from collections import Counter

    from traceability.findings import list_findings
    from traceability.reconcile import reconcile

    by_rule = Counter(f["rule"] for f in list_findings(store))
    console.print(report.table("open findings by rule", ["rule", "findings"], sorted(by_rule.items()), ["findings"]))
    result = reconcile(store)
    figures = result.figures
    on_time = f"{figures.on_time_rate:.0%}" if figures.on_time_rate is not None else "n/a"
    console.print(
        f"reconciliation of {result.checked} order items: "
        f"{', '.join(f'{k} {v}' for k, v in sorted(result.counts.items()) if v) or 'no discrepancies'}; "
        f"order-to-ship p50 {figures.p50_hours or 0:.0f} h, on time {on_time} within {figures.sla_days:g} days"
    )
