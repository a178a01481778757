"""The pipeline: pull, check and land each source entity, on a schedule or on demand.

`sync` runs one source entity through the flow; `checks` is the one place a payload becomes
loadable or quarantined; `runner` and `dags` are how Airflow (and the CLI) call it; `maintenance`
refreshes findings after loads; `settings` says where the store, sources and Data Docs are.
"""
