"""Persist GX Data Docs of the most recent validation of each suite, for data stewards.

Validation runs in throwaway in-memory contexts (one per batch), which keep nothing. This builds
the docs once per pipeline run instead: a fresh context whose only Data Docs site is a folder on
disk, fed with the suites from git and the latest result of each suite in this process.
"""

from __future__ import annotations

from pathlib import Path

from quality_checks.gx_run import build_suite, ephemeral_context, latest_results
from quality_checks.suite_specs import load_suite

DEFAULT_FOLDER = Path(".tracehub/data_docs")
SITE = "tracehub"


def build_data_docs(folder: Path = DEFAULT_FOLDER) -> Path:
    """Write Data Docs (suites and latest results) under `folder`; return its index.html path."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    folder = folder.resolve()
    context = ephemeral_context()
    context.add_data_docs_site(
        site_name=SITE,
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(folder)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    for name, result in latest_results.items():
        _, entity, frame = name.split(".")
        context.suites.add(build_suite(load_suite(entity), frame))
        suite_id = ExpectationSuiteIdentifier(name=name)
        run_id = result.meta["run_id"]
        if not isinstance(run_id, RunIdentifier):
            run_id = RunIdentifier(**run_id)
        context.validation_results_store.store_validation_results(
            suite_validation_result=result,
            suite_validation_result_identifier=ValidationResultIdentifier(
                expectation_suite_identifier=suite_id, run_id=run_id, batch_identifier=name
            ),
            expectation_suite_identifier=suite_id,
        )
    context.build_data_docs(site_names=[SITE])
    return folder / "index.html"
