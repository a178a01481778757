#!/usr/bin/env bash
# The trace store's own database and role on the PostgreSQL server that also holds Airflow's metadata.
#
# The postgres image runs this once, on the first start with an empty data volume
# (/docker-entrypoint-initdb.d), after it created POSTGRES_USER and POSTGRES_DB (airflow / airflow).
# It adds the `tracehub` role (password TRACEHUB_DB_PASSWORD from .env) owning the `tracehub`
# database, and keeps each role to its own database: Airflow's metadata and the trace store share a
# server, never a database or a login. Changing TRACEHUB_DB_PASSWORD later does not rerun this: use
# ALTER ROLE, or start from an empty volume.
set -eo pipefail

psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v tracehub_password="${TRACEHUB_DB_PASSWORD:?TRACEHUB_DB_PASSWORD must be set (see .env.example)}" <<'EOSQL'
CREATE ROLE tracehub LOGIN PASSWORD :'tracehub_password';
CREATE DATABASE tracehub OWNER tracehub;
REVOKE ALL ON DATABASE tracehub FROM PUBLIC;
REVOKE ALL ON DATABASE airflow FROM PUBLIC;
EOSQL
