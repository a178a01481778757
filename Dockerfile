# syntax=docker/dockerfile:1
# Tracehub on the official Apache Airflow image (the version pinned in pyproject.toml, Python 3.11).
#
# Everything is installed at build time from uv.lock; a container downloads nothing when it starts
# (no _PIP_ADDITIONAL_REQUIREMENTS). Targets:
#   production (the default, last stage)  the product: Airflow + the tracehub wheel + dags/ + config/
#   demo                                  production plus simulators/ (not in the wheel), used only by
#                                         the compose `demo` profile
# `docker compose build` builds production (`--profile demo` adds demo); by hand:
# `docker build -t tracehub-airflow .` and `docker build --target demo -t tracehub-airflow-demo .`.

# --- build: the locked requirements and the project's wheel (uv is needed here only) ----------------
FROM apache/airflow:3.3.2-python3.11 AS build
# uv builds with the image's own Python 3.11 and never fetches an interpreter of its own.
ENV UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir "uv==0.13.9" && mkdir -p /tmp/tracehub
WORKDIR /tmp/tracehub
COPY --chown=airflow:0 pyproject.toml uv.lock README.md ./
# The runtime dependencies exactly as locked, without the project itself and without the dev group.
RUN uv export --frozen --no-dev --no-hashes --no-emit-project --output-file requirements.txt
# One COPY per package: COPY of several folders would merge their contents into one.
COPY --chown=airflow:0 connectors/ connectors/
COPY --chown=airflow:0 mappings/ mappings/
COPY --chown=airflow:0 data_dictionary/ data_dictionary/
COPY --chown=airflow:0 quality_checks/ quality_checks/
COPY --chown=airflow:0 pipeline/ pipeline/
COPY --chown=airflow:0 trace_store/ trace_store/
COPY --chown=airflow:0 traceability/ traceability/
COPY --chown=airflow:0 steward/ steward/
COPY --chown=airflow:0 write_back/ write_back/
COPY --chown=airflow:0 tracehub/ tracehub/
RUN uv build --wheel --out-dir dist

# --- runtime: what every service runs -------------------------------------------------------------
FROM apache/airflow:3.3.2-python3.11 AS runtime
COPY --from=build /tmp/tracehub/requirements.txt /tmp/tracehub/dist/ /tmp/tracehub-install/
# As the official image documents for extra requirements: pin apache-airflow to the image's own version
# so that pip can never swap it; the lock pins the same version (pyproject: apache-airflow==3.3.2).
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /tmp/tracehub-install/requirements.txt \
    && pip install --no-cache-dir --no-deps /tmp/tracehub-install/tracehub-*.whl
USER root
# The console shows Chinese device names, consignees and its Chinese pages: Debian's Noto CJK fonts
# (fonts-noto-cjk, the package .ci/run installs) so that anything rendering them in the image, a
# browser test or a printed report, draws text rather than boxes.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-noto-cjk \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*
# Named volumes are mounted on TRACEHUB_HOME (Data Docs, the console's secret key) and on the API
# server's auth folder; a new volume takes its folder's owner, so the airflow user (group 0, like the
# rest of the image) can write them.
RUN rm -rf /tmp/tracehub-install \
    && mkdir -p /opt/tracehub/home /opt/airflow/auth \
    && chown -R airflow:0 /opt/tracehub /opt/airflow/auth \
    && chmod -R g+rwX /opt/tracehub /opt/airflow/auth
USER airflow
# The DAG files Airflow parses (AIRFLOW__CORE__DAGS_FOLDER) and the default sources file; compose
# mounts ./config over /opt/tracehub/config, so editing sources.yaml needs no rebuild.
COPY --chown=airflow:0 dags/ /opt/tracehub/dags/
COPY --chown=airflow:0 config/ /opt/tracehub/config/

# --- demo: the simulated platforms, for `docker compose --profile demo` only ---------------------------
FROM runtime AS demo
COPY --chown=airflow:0 simulators/ /opt/tracehub/demo/simulators/
ENV PYTHONPATH=/opt/tracehub/demo

# --- production: the default target, without simulators/ --------------------------------------------
FROM runtime AS production
