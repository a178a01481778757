"""The production deployment, checked without a Docker engine: docker-compose.yml, Dockerfile, .env.example.

The compose file is validated against the Compose Specification's JSON schema (vendored in deploy/,
see deploy/SOURCE.txt), as written and after interpolation with the values of .env.example (what
`cp .env.example .env && docker compose config` would see). Then the topology the README describes:
CeleryExecutor on Redis, Airflow metadata and the trace store as two databases of one PostgreSQL
server, airflow-init before everything else, simulators only in the `demo` profile, secrets only
from .env, and an image built FROM the Airflow release pyproject.toml pins.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import pytest
import yaml
from sqlalchemy.engine import URL, make_url

from connectors.config import load_sources

REPO = Path(__file__).resolve().parent.parent
COMPOSE = REPO / "docker-compose.yml"
SCHEMA = REPO / "deploy" / "compose-spec.json"
SCHEMA_SOURCE = REPO / "deploy" / "SOURCE.txt"
DOCKERFILE = REPO / "Dockerfile"
ENV_EXAMPLE = REPO / ".env.example"

AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
}
CONSOLE = "steward-console"
SERVICES = AIRFLOW_SERVICES | {"postgres", "redis", CONSOLE, "simulators"}
DEMO_SERVICES = {"simulators"}
TRACEHUB_SERVICES = AIRFLOW_SERVICES | {CONSOLE}
"""Services that run Tracehub code and so read the trace store, the sources file and TRACEHUB_HOME."""
INIT_STEPS = ["airflow db migrate", "tracehub airflow init", "tracehub db upgrade"]
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|KEY|AIRFLOW_CONN_")

# Compose interpolation: $$ is a literal $, ${NAME}, ${NAME:-default} / ${NAME-default},
# ${NAME:?error} / ${NAME?error}, ${NAME:+alternative} / ${NAME+alternative}, and $NAME.
VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<invalid>))"
)


class InterpolationError(ValueError):
    """What `docker compose` would stop with: a required variable unset or empty, or bad syntax."""


def interpolate(text: str, env: Mapping[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["invalid"] is not None:
            raise InterpolationError(f"invalid interpolation in {text!r}")
        name = match["braced"] or match["named"]
        op, arg = match["op"] or "", match["arg"] or ""
        value = env.get(name)
        present = value is not None and (value != "" or not op.startswith(":"))
        if op.endswith("-"):
            return value if present and value is not None else arg
        if op.endswith("?"):
            if not present or value is None:
                raise InterpolationError(f"{name}: {arg}")
            return value
        if op.endswith("+"):
            return arg if present else ""
        return value or ""

    return VARIABLE.sub(substitute, text)


def walk(node: Any, leaf: Callable[[str], Any]) -> Any:
    """`node` with `leaf` applied to every string value (keys stay as written, as compose does)."""
    if isinstance(node, dict):
        return {key: walk(value, leaf) for key, value in node.items()}
    if isinstance(node, list):
        return [walk(item, leaf) for item in node]
    return leaf(node) if isinstance(node, str) else node


def strings(node: Any) -> list[str]:
    found: list[str] = []
    walk(node, lambda s: found.append(s))
    return found


@cache
def raw() -> dict[str, Any]:
    """docker-compose.yml as YAML reads it: anchors and merge keys resolved, variables not."""
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@cache
def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", name), f".env.example: not NAME=value: {line!r}"
        values[name] = value.strip().strip("'\"")
    return values


@cache
def compose() -> dict[str, Any]:
    """The compose file as `docker compose` sees it with .env copied from .env.example."""
    return walk(raw(), lambda s: interpolate(s, env_example()))


def service(name: str) -> dict[str, Any]:
    return compose()["services"][name]


def env_of(name: str) -> dict[str, str]:
    environment = service(name).get("environment", {})
    assert isinstance(environment, dict), f"{name}: environment as a mapping, please"
    return {key: str(value) for key, value in environment.items()}


def url(name: str, variable: str) -> URL:
    value = env_of(name)[variable]
    return make_url(value.removeprefix("db+"))


def command_text(name: str) -> str:
    command = service(name).get("command", "")
    return command if isinstance(command, str) else " ".join(command)


def variables_used() -> dict[str, set[str]]:
    """Every variable the compose file interpolates -> the operators it is used with ('' for plain)."""
    used: dict[str, set[str]] = {}
    for text in strings(raw()):
        for match in VARIABLE.finditer(text):
            name = match["braced"] or match["named"]
            if name:
                used.setdefault(name, set()).add(match["op"] or "")
    return used


# --- the Compose Specification -------------------------------------------------------------------


@cache
def compose_validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    # The schema declares draft-07 as https://json-schema.org/draft-07/schema, a spelling jsonschema's
    # validator_for() does not recognise (it would fall back to the latest draft): choose it here.
    assert re.fullmatch(r"https?://json-schema\.org/draft-07/schema#?", schema["$schema"])
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def schema_errors(document: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in compose_validator().iter_errors(document)]


def test_the_vendored_schema_is_the_file_its_source_names():
    source = SCHEMA_SOURCE.read_text(encoding="utf-8")
    data = SCHEMA.read_bytes()
    assert "https://github.com/compose-spec/compose-spec" in source
    assert "schema/compose-spec.json" in source
    assert "Apache-2.0" in source
    assert f"{len(data)} bytes" in source
    assert hashlib.sha256(data).hexdigest() in source


@pytest.mark.parametrize("stage", ["as written", "interpolated with .env.example"])
def test_compose_file_follows_the_compose_specification(stage):
    document = raw() if stage == "as written" else compose()
    assert schema_errors(document) == []


def test_the_schema_check_rejects_what_docker_compose_would():
    document = copy.deepcopy(compose())
    document["services"]["airflow-worker"]["restart_policy"] = "always"  # a swarm key in the wrong place
    document["services"]["airflow-scheduler"]["depends_on"]["airflow-init"]["condition"] = "service_completed"
    document["volumes"]["tracehub-home"] = ["not", "a", "mapping"]
    errors = "\n".join(schema_errors(document))
    assert "services/airflow-worker: 'restart_policy' does not match any of the regexes: '^x-'" in errors
    assert "services/airflow-scheduler/depends_on" in errors
    assert "volumes/tracehub-home" in errors


# --- .env.example and secrets --------------------------------------------------------------------


def test_every_variable_the_compose_file_reads_is_in_env_example_and_nothing_else():
    used = set(variables_used())
    documented = set(env_example())
    assert used - documented == set(), "add these to .env.example with a comment"
    assert documented - used == set(), ".env.example documents variables docker-compose.yml never reads"


def test_env_example_as_dot_env_lets_compose_start():
    compose()  # raises InterpolationError naming a required variable .env.example leaves empty


def test_without_dot_env_compose_stops_on_the_first_missing_secret():
    with pytest.raises(InterpolationError, match=r"_PASSWORD|_SECRET"):
        walk(raw(), lambda s: interpolate(s, {}))


def test_secrets_have_no_default_in_the_compose_file():
    for text in strings(raw()):
        for match in VARIABLE.finditer(text):
            name, op = match["braced"] or match["named"], match["op"] or ""
            if name and SECRET_NAME.search(name):
                # required (:?), or optional with an empty default (platform tokens, Fernet and webhook keys)
                assert op in {":?", "?"} or (op in {":-", "-"} and not match["arg"]), f"{name} in {text!r}"
    for name in SERVICES:  # the image holds every requirement: nothing is pip-installed when a container starts
        assert "_PIP_ADDITIONAL_REQUIREMENTS" not in env_of(name), name


def test_no_credential_is_written_into_a_url():
    userinfo = re.compile(r"://(?P<user>[^:/@\s]+):(?P<password>[^@\s]*)@")
    for text in strings(raw()):
        for match in userinfo.finditer(text):
            assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", match["password"]), f"literal password in {text!r}"
    assert raw()["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${")


def test_every_platform_credential_in_the_sources_file_is_wired_from_dot_env():
    common = raw()["x-airflow-common"]["environment"]
    init = raw()["services"]["airflow-init"]["environment"]

    def passed(variable: str, environment: dict[str, Any]) -> bool:
        return re.fullmatch(r"\$\{" + variable + r"(:-)?\}", str(environment.get(variable))) is not None

    for source in load_sources(REPO / "config" / "sources.yaml").sources:
        conn_id = (source.credentials.airflow_conn or "").upper()
        variable = source.credentials.env or f"AIRFLOW_CONN_{conn_id}"
        assert passed(variable, common), f"source {source.name!r}: pass {variable} from .env in x-airflow-common"
        assert variable in env_example()
        if conn_id:  # `tracehub airflow init` creates the connection from TRACEHUB_SECRET_<ID>
            assert passed(f"TRACEHUB_SECRET_{conn_id}", init), f"source {source.name!r}: airflow-init needs its token"
            assert f"TRACEHUB_SECRET_{conn_id}" in env_example()
    assert not [k for k in common if k.startswith("TRACEHUB_SECRET_")], "tokens to store stay with airflow-init"


# --- services, start order, health -----------------------------------------------------------------


def test_the_services():
    assert set(compose()["services"]) == SERVICES


def test_airflow_services_share_the_common_anchor():
    common = compose()["x-airflow-common"]
    assert common["environment"] and common["volumes"] and common["depends_on"]
    for name in AIRFLOW_SERVICES:
        svc = service(name)
        assert svc["image"] == common["image"] and svc["build"] == common["build"], name
        env = env_of(name)
        assert {k: env.get(k) for k in common["environment"]} == {k: str(v) for k, v in common["environment"].items()}
        assert set(common["volumes"]) <= set(svc["volumes"]), name
        assert common["depends_on"].items() <= svc["depends_on"].items(), name


def test_celery_executor_with_redis_broker_and_postgres_metadata():
    env = env_of("airflow-scheduler")
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"].lower() == "false"
    broker = url("airflow-scheduler", "AIRFLOW__CELERY__BROKER_URL")
    assert (broker.drivername, broker.host) == ("redis", "redis")
    metadata = url("airflow-scheduler", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    metadata_async = url("airflow-scheduler", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC")
    results = url("airflow-scheduler", "AIRFLOW__CELERY__RESULT_BACKEND")
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+")
    postgres = service("postgres")["environment"]
    for each in (metadata, metadata_async, results):
        assert (each.host, each.database, each.username) == ("postgres", postgres["POSTGRES_DB"], "airflow")
        assert each.password == postgres["POSTGRES_PASSWORD"]
    assert (metadata.drivername, metadata_async.drivername) == ("postgresql+psycopg", "postgresql+asyncpg")
    assert results.drivername == "postgresql+psycopg"
    locked = {p["name"] for p in tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))["package"]}
    drivers = {each.drivername.split("+")[1] for each in (metadata, metadata_async, results)}
    assert drivers <= locked, "every database driver Airflow is told to use must be in uv.lock"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"


def test_one_trace_store_on_postgres_apart_from_airflow_metadata():
    metadata = url("airflow-worker", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    for name in TRACEHUB_SERVICES:
        store = url(name, "TRACEHUB_DB_URL")
        assert store.get_backend_name() == "postgresql" and store.drivername == "postgresql+psycopg", name
        assert store.host == "postgres", f"{name}: the shared server, not a per-container store"
        assert store.database != metadata.database and store.username != metadata.username
    assert env_of("postgres")["TRACEHUB_DB_PASSWORD"] == url(CONSOLE, "TRACEHUB_DB_URL").password
    assert len({str(url(name, "TRACEHUB_DB_URL")) for name in TRACEHUB_SERVICES}) == 1


def test_postgres_init_script_creates_the_trace_store_database():
    mounts = [v.split(":") for v in service("postgres")["volumes"]]
    (script,) = [host for host, target, *_ in mounts if target.startswith("/docker-entrypoint-initdb.d/")]
    path = REPO / script
    assert path.is_file() and path.stat().st_mode & 0o111, f"{script} must exist and be executable"
    store = url(CONSOLE, "TRACEHUB_DB_URL")
    sql = path.read_text(encoding="utf-8")
    assert f"CREATE ROLE {store.username} LOGIN PASSWORD :'tracehub_password'" in sql
    assert f"CREATE DATABASE {store.database} OWNER {store.username}" in sql
    assert "TRACEHUB_DB_PASSWORD" in sql


def test_tracehub_home_and_the_sources_file_are_shared():
    volumes = compose()["volumes"]
    homes = set()
    for name in TRACEHUB_SERVICES:
        env = env_of(name)
        mounts = {target: source for source, target, *_ in (v.split(":") for v in service(name)["volumes"])}
        home = mounts.get(env["TRACEHUB_HOME"])
        assert home in volumes, f"{name}: TRACEHUB_HOME must be on a named volume"
        homes.add(home)
        sources = PurePosixPath(env["TRACEHUB_SOURCES"])
        assert sources.is_absolute()
        assert mounts.get(str(sources.parent)) == "./config", f"{name}: mount ./config at {sources.parent}"
        assert (REPO / "config" / sources.name).is_file()
    assert len(homes) == 1, "one TRACEHUB_HOME volume for every process"


def test_everything_waits_for_airflow_init_which_runs_the_three_steps():
    for name in (AIRFLOW_SERVICES - {"airflow-init"}) | {CONSOLE}:
        depends = service(name)["depends_on"]
        assert depends.get("airflow-init") == {"condition": "service_completed_successfully"}, name
        assert depends["postgres"] == {"condition": "service_healthy"}, name
    for name in AIRFLOW_SERVICES:
        assert service(name)["depends_on"]["redis"] == {"condition": "service_healthy"}, name
    init = command_text("airflow-init")
    positions = {step: init.find(step) for step in INIT_STEPS}
    assert -1 not in positions.values(), init
    assert positions["airflow db migrate"] < positions["tracehub airflow init"], "pools need the migrated metadata"
    assert "set -e" in init, "a failed step must fail airflow-init, or the others start on a half-made setup"
    assert service("airflow-init").get("restart", "no") == "no"


def test_waited_for_services_have_health_checks():
    for name, svc in compose()["services"].items():
        if name not in DEMO_SERVICES | {"airflow-init"}:
            assert svc.get("healthcheck", {}).get("test"), f"{name} has no health check"
        for dependency, rule in svc.get("depends_on", {}).items():
            if rule["condition"] == "service_healthy":
                assert service(dependency).get("healthcheck"), f"{name} waits for {dependency}'s health"
    worker_depends = service("airflow-worker")["depends_on"]
    assert worker_depends["airflow-apiserver"] == {"condition": "service_healthy"}


def test_only_the_ui_and_the_console_are_published_on_loopback():
    published = {name: svc["ports"] for name, svc in compose()["services"].items() if "ports" in svc}
    assert set(published) == {"airflow-apiserver", CONSOLE}
    for ports in published.values():
        assert all(str(port).startswith("127.0.0.1:") for port in ports), ports
    assert command_text(CONSOLE) == "tracehub serve --host 0.0.0.0 --port 8000"


def test_the_console_holds_no_airflow_or_platform_secret():
    env = env_of(CONSOLE)
    assert not [k for k in env if k.startswith(("AIRFLOW", "TRACEHUB_SECRET_")) or k.endswith("_TOKEN")]


def test_simulators_run_in_the_demo_profile_only():
    for name, svc in compose()["services"].items():
        runs_simulators = "simulators" in command_text(name).split()
        assert runs_simulators == (name in DEMO_SERVICES), name
        assert svc.get("profiles", []) == (["demo"] if name in DEMO_SERVICES else []), name


# --- the Dockerfile ----------------------------------------------------------------------------------


def dockerfile_stages() -> dict[str, dict[str, Any]]:
    """Stage name -> {base, instructions: [(KEYWORD, arguments)]}, in file order."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    stages: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, arguments = line.partition(" ")
        if keyword.upper() == "FROM":
            match = re.fullmatch(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", arguments.strip(), re.I)
            assert match, line
            current = {"base": match[1], "instructions": []}
            stages[match[2] or str(len(stages))] = current
        elif current is not None:
            current["instructions"].append((keyword.upper(), arguments.strip()))
    return stages


def stage_chain(target: str) -> list[dict[str, Any]]:
    """The stage `target` and the stages it is built FROM, nearest first."""
    stages = dockerfile_stages()
    chain = [stages[target]]
    while chain[-1]["base"] in stages:
        chain.append(stages[chain[-1]["base"]])
    return chain


def copies(target: str) -> dict[str, str]:
    """Source -> destination of every COPY from the build context in `target`'s image."""
    found = {}
    for stage in stage_chain(target):
        for keyword, arguments in stage["instructions"]:
            parts = [p for p in arguments.split() if not p.startswith("--")]
            if keyword == "COPY" and "--from=" not in arguments:
                *sources, destination = parts
                found.update({source.rstrip("/"): destination.rstrip("/") for source in sources})
    return found


def test_the_image_is_the_airflow_release_pyproject_pins_on_python_311():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (pin,) = [d for d in project["dependencies"] if d.startswith("apache-airflow==")]
    version = pin.split("==")[1]
    assert project["requires-python"] == ">=3.11,<3.12"
    stages = dockerfile_stages()
    external = {stage["base"] for stage in stages.values() if stage["base"] not in stages}
    assert external == {f"apache/airflow:{version}-python3.11"}
    assert list(stages)[-1] == "production", "`docker build .` builds the last stage: the product"


def test_the_image_installs_the_locked_project_and_downloads_nothing_when_it_runs():
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    assert re.search(r"uv export --frozen --no-dev\b", text)
    assert re.search(r"pip install --no-cache-dir \"apache-airflow==\$\{AIRFLOW_VERSION\}\" -r \S+requirements", text)
    assert re.search(r"pip install --no-cache-dir --no-deps \S+\.whl", text)
    wheel = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]["build"]
    packages = set(wheel["targets"]["wheel"]["packages"])
    assert packages <= set(copies("build")), "every package of the wheel must be copied into the build stage"


def test_the_images_carry_a_cjk_font_for_chinese_text():
    """Chinese names and pages render as text in every image (the console's, the demo's), as in CI."""
    for target in ("production", "demo"):
        runs = [args for stage in stage_chain(target) for keyword, args in stage["instructions"] if keyword == "RUN"]
        assert any(re.search(r"apt-get install\b.*\bfonts-noto-cjk\b", args) for args in runs), target


def test_services_run_the_image_with_dags_and_config_and_only_the_demo_has_simulators():
    for name in TRACEHUB_SERVICES:
        assert service(name)["build"] == {"context": ".", "target": "production"}, name
    production = copies("production")
    env = env_of("airflow-scheduler")
    assert production.get("dags") == env["AIRFLOW__CORE__DAGS_FOLDER"]
    assert production.get("config") == str(PurePosixPath(env["TRACEHUB_SOURCES"]).parent)
    assert "simulators" not in production
    demo_target = service("simulators")["build"]["target"]
    assert "simulators" in copies(demo_target)
    assert service("simulators")["image"] != service("airflow-worker")["image"]


def test_the_demo_sources_reach_the_simulators_service_as_the_demo_does():
    """Ports from the simulators' --port-base, their one token, and the field maps `make demo` uses."""
    from connectors.config import load_sources
    from simulators import odoo
    from tracehub.demo import ERP_STUDIO_FIELDS, WAREHOUSE_FIELDS

    demo = load_sources(REPO / "config" / "sources.compose-demo.yaml")
    command = service("simulators")["command"]
    base = int(command[command.index("--port-base") + 1])
    ports = {"shopify": base, "shipbob": base + 1, "odoo": base + 2}
    for source in demo.sources:
        assert source.base_url == f"http://simulators:{ports[source.kind]}", source.name
        assert source.credentials.env == "SIMULATOR_TOKEN"
    erp = demo.get("erp")
    assert (erp.database, erp.login) == (odoo.DATABASE, odoo.LOGIN)
    assert erp.field_map == ERP_STUDIO_FIELDS and demo.get("warehouse").field_map == WAREHOUSE_FIELDS
    assert "0.0.0.0" in command, "other containers must reach the simulators"
    assert "SIMULATOR_TOKEN" in env_of("airflow-worker") and "SIMULATOR_TOKEN" in env_of("simulators")


def test_workers_start_with_the_pipeline_imported():
    """Tasks fork from the worker: GX imported once per worker, not once per task."""
    from pipeline.celery_config import CELERY_CONFIG

    assert env_of("airflow-worker")["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"] == "pipeline.celery_config.CELERY_CONFIG"
    assert "pipeline.preload" in CELERY_CONFIG["imports"]
