"""Persist GX Data Docs of the most recent validation of each suite, for data stewards.

Validation runs in throwaway in-memory contexts (one per batch), which keep nothing. This builds
the docs once per pipeline run instead: a fresh context whose only Data Docs site is a folder on
disk, fed with the suites from git and the latest result of each suite. Those results are kept by
the process's GX worker, so the site is written there too (`gx_run.submit`).

GX writes the values it found unexpected, which come from platforms, into its pages as they are,
and its pages load scripts and styles from public CDNs. So every page is then made inert and
self-contained: its markup is cleaned by an allow-list (no scripts, styles, event handlers,
embedded objects, forms or absolute links) and it carries one local stylesheet. The console also
serves the folder sandboxed (tracehub/web/app.py).
"""

from __future__ import annotations

import logging
import re
from html import unescape
from pathlib import Path

from quality_checks.gx_run import build_suite, ephemeral_context, has_validated, latest_results, submit
from quality_checks.suite_specs import load_suite

log = logging.getLogger(__name__)

SITE = "tracehub"
STYLESHEET = Path(__file__).with_name("data_docs.css")
PAGE_TEMPLATE = Path(__file__).with_name("data_docs_page.html.j2")
ALLOWED_TAGS = frozenset(
    {
        *("a", "b", "br", "caption", "code", "dd", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6"),
        *("hr", "i", "li", "main", "nav", "ol", "p", "pre", "section", "small", "span", "strong", "sub", "sup"),
        *("table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"),
    }
)
ALLOWED_ATTRIBUTES = {"*": {"class", "id", "title"}, "a": {"href"}, "td": {"colspan", "rowspan"}, "th": {"colspan"}}
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.IGNORECASE | re.DOTALL)


def refresh_data_docs(folder: Path) -> Path | None:
    """Rebuild the Data Docs from this process's latest validation results; None if there are none.

    Validation results live in the memory of the process that ran them, so a sync or a replay
    rebuilds the docs at its end: once per run, never per batch. Docs are a convenience for
    stewards: a failure to write them is logged, never fails the run.
    """
    if not has_validated():
        return None
    try:
        return build_data_docs(folder)
    except Exception:
        log.exception("could not write Data Docs to %s", folder)
        return None


def build_data_docs(folder: Path) -> Path | None:
    """Write Data Docs (suites and latest results) under `folder`; return its index.html path
    (None: this process has no validation result yet)."""
    folder = folder.resolve()
    if not submit(_write_site, folder).result():  # in the worker holding the results, after its runs
        return None
    make_inert(folder)
    return folder / "index.html"


def _write_site(folder: Path) -> bool:
    """In the GX worker: write the site from its latest results; False when it has none."""
    if not latest_results:
        return False
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

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
    return True


def make_inert(folder: Path) -> None:
    """Clean every page of the site and give it the local stylesheet, inline (idempotent).

    Inline, so a page is whole wherever it is opened: served sandboxed (an opaque origin, which
    loads no stylesheet by URL under the console's policy) or straight from the folder.
    """
    import nh3
    from jinja2 import Environment, FileSystemLoader, StrictUndefined
    from markupsafe import Markup

    template = Environment(
        loader=FileSystemLoader(PAGE_TEMPLATE.parent), autoescape=True, undefined=StrictUndefined
    ).get_template(PAGE_TEMPLATE.name)
    style = Markup(STYLESHEET.read_text(encoding="utf-8"))  # ours, not platform data
    for page in folder.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        title = _TITLE.search(html)
        body = _BODY.search(html)
        cleaned = nh3.clean(
            body.group(1) if body else html,
            tags=set(ALLOWED_TAGS),
            attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
            url_schemes=set(),
            clean_content_tags={"script", "style", "title", "head"},
            link_rel="noopener noreferrer",
            strip_comments=True,
        )
        heading = unescape(nh3.clean(title.group(1), tags=set())) if title else "Data Docs"
        page.write_text(template.render(title=heading, style=style, body=Markup(cleaned)) + "\n", encoding="utf-8")
