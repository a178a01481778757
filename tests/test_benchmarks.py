"""`make bench` at a tiny size: every path runs and loads every line (speed itself is never asserted)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from benchmarks import rss
from benchmarks.__main__ import main
from benchmarks.corpus import clone_pages, stream_pages

TRACEHUB = ("tracehub", "loader")
COMPARATORS = ("copy", "dlt_dict", "dlt_arrow")


def _bench(tmp_path: Path, backends: str, pg: str = "unused") -> dict:
    out = tmp_path / "latest.json"
    main(["--lines", "200", "--rounds", "1", "--backends", backends, "--pg", pg, "--out", str(out)])
    return json.loads(out.read_text())


def _assert_every_line_loaded(report: dict, paths: list[str]) -> None:
    results = report["results"]
    assert sorted(results["paths"]) == sorted(paths)
    assert results["raw_line_records"] >= 200
    # the corpus holds bad records on purpose: their lines are quarantined, never loaded by anyone
    assert 0 < results["lines"] < results["raw_line_records"]
    for path, figures in results["paths"].items():
        assert figures["lines"] == [results["lines"]], path
        assert figures["lines_per_s"]["median"] > 0, path
    assert report["parameters"]["lines"] == 200
    assert len(report["load_before"]) == 3


@pytest.mark.slow
def test_bench_on_sqlite_loads_every_line_on_every_tracehub_path(tmp_path: Path) -> None:
    report = _bench(tmp_path, "sqlite")
    _assert_every_line_loaded(report, [f"{p}_sqlite" for p in TRACEHUB])
    assert report["results"]["paths"]["tracehub_sqlite"]["resync_pct_of_first"]["median"] > 0
    assert report["results"]["ratios"] == {}


@pytest.mark.slow
def test_bench_on_postgresql_runs_the_comparators_on_the_same_lines(tmp_path: Path, _pg_databases) -> None:
    with_dlt = importlib.util.find_spec("dlt") is not None  # the bench group; CI syncs without it
    report = _bench(tmp_path, "postgresql", _pg_databases.server_url.render_as_string(hide_password=False))
    comparators = [p for p in COMPARATORS if with_dlt or not p.startswith("dlt")]
    _assert_every_line_loaded(report, [f"{p}_postgresql" for p in (*TRACEHUB, *comparators)])
    ratios = report["results"]["ratios"]
    assert set(ratios) == {f"tracehub_over_{p}" for p in comparators}
    assert all(r["median"] > 0 for r in ratios.values())


def test_streamed_pages_are_the_cloned_pages() -> None:
    pages, lines = clone_pages("shopify", 700)
    streamed = list(stream_pages("shopify", 700))
    assert [page for page, _ in streamed] == pages and sum(n for _, n in streamed) == lines >= 700


@pytest.mark.slow
def test_rss_syncs_each_size_in_a_cold_process(tmp_path: Path) -> None:
    out = tmp_path / "rss.json"
    rss.main(["--lines", "200,400", "--backend", "sqlite", "--out", str(out)])
    sizes = json.loads(out.read_text())["sizes"]
    assert [s["lines"] >= n for s, n in zip(sizes, (200, 400), strict=True)] == [True, True]
    for s in sizes:
        assert 0 < s["records_loaded"] < s["records_pulled"]  # the corpus's bad records are quarantined
        assert s["peak_mb"] >= s["peak_mb_before"] > 0 and s["gx_worker_peak_mb"] > 0
