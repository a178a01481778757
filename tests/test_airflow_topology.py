"""The production topology on this machine's services: Airflow with Celery on Redis, metadata on PostgreSQL.

What docker-compose.yml deploys, run as separate processes: the API server, the scheduler, the
DAG processor and a Celery worker, with the metadata database and the trace store as two
PostgreSQL databases and the broker on the local Redis. The deploy steps run first, as the
compose file's airflow-init does (`airflow db migrate`, `tracehub db upgrade`, `tracehub airflow
init`); then a sync DAG is triggered through the REST API, the store is checked, and the sync's
Asset events start `trace_maintenance` on their own.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
import yaml
from platforms import running_platforms

from simulators.world import generate_world
from trace_store.schema import sync_run
from trace_store.store import Store

pytestmark = pytest.mark.slow  # the Airflow topology tier: `make test-all`

REPO = Path(__file__).resolve().parent.parent
REDIS = "redis://127.0.0.1:6379/0"
USER, PASSWORD = "tracehub-test", "topology-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2):
            return True
    except OSError:
        return False


def wait_for(what: str, check: Callable[[], Any], timeout: float, logs: Path) -> Any:
    """Poll `check` until it gives something or `timeout` passes. A poll the API server leaves
    unanswered past its own timeout is asked again: on a loaded 2-core machine one went 10 s unanswered."""
    deadline = time.monotonic() + timeout
    unanswered = ""
    while time.monotonic() < deadline:
        try:
            found = check()
        except requests.Timeout as exc:
            unanswered, found = f"last poll unanswered: {exc}\n", None
        if found:
            return found
        time.sleep(1)
    tails = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(logs.glob("*.log")))
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{unanswered}{tails}")


@pytest.fixture(scope="module")
def deployment(_pg_databases, tmp_path_factory) -> Iterator[dict[str, Any]]:
    if not redis_is_up():
        if os.environ.get("CI"):
            pytest.fail("Redis is not answering on 127.0.0.1:6379; the Celery topology test needs it on CI")
        pytest.skip("Redis is not answering on 127.0.0.1:6379")
    home = tmp_path_factory.mktemp("topology")
    metadata_url = _pg_databases.create()
    store_url = _pg_databases.create()
    port = free_port()
    queue = f"tracehub-test-{uuid.uuid4().hex[:8]}"
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({USER: PASSWORD}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "TRACEHUB_"))}
    env.update(
        AIRFLOW_HOME=str(home / "airflow"),
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{USER}:admin",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_url,
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC=metadata_url.replace("+psycopg://", "+asyncpg://"),
        AIRFLOW__CELERY__BROKER_URL=REDIS,
        AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS="pipeline.celery_config.CELERY_CONFIG",
        AIRFLOW__CELERY__RESULT_BACKEND="db+" + metadata_url,
        AIRFLOW__OPERATORS__DEFAULT_QUEUE=queue,
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{port}",
        AIRFLOW__API_AUTH__JWT_SECRET=uuid.uuid4().hex,
        AIRFLOW__API__SECRET_KEY=uuid.uuid4().hex,
        AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL="5",
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
        TRACEHUB_HOME=str(home / "tracehub"),
        TRACEHUB_DB_URL=store_url,
    )
    world = generate_world(71, 0.1)
    with pytest.MonkeyPatch.context() as mp, running_platforms(world, mp) as platforms:
        sources = home / "sources.yaml"
        shop = {**platforms.configs["shop"].model_dump(mode="json", exclude_none=True), "schedule": None}
        sources.write_text(yaml.safe_dump({"sources": [shop]}))
        env.update(
            TRACEHUB_SOURCES=str(sources), **{k: v for k, v in os.environ.items() if k.startswith("TRACEHUB_TEST_")}
        )
        for step in (["airflow", "db", "migrate"], ["tracehub", "db", "upgrade"], ["tracehub", "airflow", "init"]):
            done = subprocess.run(
                [sys.executable, "-m", *step], env=env, cwd=home, capture_output=True, text=True, timeout=600
            )
            assert done.returncode == 0, f"{' '.join(step)}: {done.stdout}{done.stderr}"
        logs = home / "logs"
        logs.mkdir()
        services = {
            "api-server": ["api-server", "--port", str(port), "--host", "127.0.0.1"],
            "scheduler": ["scheduler"],
            "dag-processor": ["dag-processor"],
            "worker": ["celery", "worker", "--queues", queue, "--concurrency", "2"],
        }
        processes = []
        try:
            for name, args in services.items():
                out = (logs / f"{name}.log").open("w")
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "airflow", *args],
                        env=env,
                        cwd=home,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
            api = f"http://127.0.0.1:{port}"
            token = wait_for("the API server to issue a token", lambda: _token(api), 180, logs)
            yield {"api": api, "token": token, "store_url": store_url, "logs": logs, "world": world}
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()


def _token(api: str) -> str | None:
    try:
        answer = requests.post(f"{api}/auth/token", json={"username": USER, "password": PASSWORD}, timeout=5)
    except requests.ConnectionError:
        return None
    return answer.json()["access_token"] if answer.status_code in (200, 201) else None


def test_a_sync_triggered_through_the_rest_api_loads_the_store_and_assets_start_maintenance(deployment):
    api, logs = deployment["api"], deployment["logs"]
    started = time.monotonic()
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {deployment['token']}"

    def dag_known(dag_id: str) -> bool:
        return http.get(f"{api}/api/v2/dags/{dag_id}", timeout=10).status_code == 200

    for dag_id in ("sync_shop", "trace_maintenance"):
        wait_for(f"the DAG processor to publish {dag_id}", lambda d=dag_id: dag_known(d), 240, logs)
        unpaused = http.patch(f"{api}/api/v2/dags/{dag_id}", json={"is_paused": False}, timeout=10)
        assert unpaused.status_code == 200, unpaused.text

    published = time.monotonic()
    triggered = http.post(f"{api}/api/v2/dags/sync_shop/dagRuns", json={"logical_date": None}, timeout=10)
    assert triggered.status_code == 200, triggered.text
    run_id = triggered.json()["dag_run_id"]

    def finished() -> str | None:
        state = http.get(f"{api}/api/v2/dags/sync_shop/dagRuns/{run_id}", timeout=10).json()["state"]
        return state if state in ("success", "failed") else None

    assert wait_for("the sync DAG run to finish", finished, 420, logs) == "success"
    synced = time.monotonic()
    tasks = http.get(f"{api}/api/v2/dags/sync_shop/dagRuns/{run_id}/taskInstances", timeout=10).json()
    durations = {t["task_id"]: round(t["duration"], 2) for t in tasks["task_instances"]}
    print(f"task durations (s) in the Celery worker: {durations}")

    store = Store.open(deployment["store_url"])
    try:
        r = sync_run.c
        with store.connect() as conn:
            runs = conn.execute(sa.select(r.entity, r.status, r.pulled, r.loaded).where(r.source == "shop")).all()
    finally:
        store.close()
    assert {(run.entity, run.status) for run in runs} == {("variant", "success"), ("order", "success")}
    [orders] = [run for run in runs if run.entity == "order"]
    assert orders.pulled == len(deployment["world"].shopify_orders) and orders.loaded > 0

    def maintenance_runs() -> list[dict[str, Any]] | None:
        found = http.get(f"{api}/api/v2/dags/trace_maintenance/dagRuns", timeout=10).json()["dag_runs"]
        done = [r for r in found if r["state"] == "success"]
        return done or None

    [maintenance] = wait_for("trace_maintenance to run on the sync's Asset events", maintenance_runs, 300, logs)
    assert maintenance["run_type"] == "asset_triggered"
    print(
        f"DAGs published {published - started:.0f} s after the services answered; sync DAG run (2 tasks) "
        f"{synced - published:.0f} s from trigger to success; maintenance done {time.monotonic() - synced:.0f} s later"
    )
