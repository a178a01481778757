"""`tracehub drill`: a mock recall of one lot from a cold start, timed step by step.

Each step is what a recall team waits for: the process started (the command's interpreter and
imports), the store opened (the store as it is), the lot found, the impact traced (genealogy,
shipments, consignees with contacts, stock, mass balance: `traceability.recall.preview`, the
computation a real recall and the console use), the consignee list written (the figure regulators
ask for: time to a complete consignee list), then the full report written. No recall is recorded
and no lot is marked: the drill leaves its report files, one `recall_drill` row and an audit entry
(`traceability.drill`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from traceability.drill import DrillStep


@dataclass(frozen=True, slots=True)
class DrillResult:
    drill_id: int
    gtin: str
    lot: str
    consignees: int
    shipments: int
    steps: list[DrillStep]
    seconds_to_consignees: float
    files: list[Path]

    @property
    def seconds_total(self) -> float:
        return sum(s.seconds for s in self.steps)


def process_age() -> float:
    """Seconds since this process was created: from the kernel's start tick (10 ms) on Linux, else psutil's
    creation time (whose boot time is whole seconds, so up to a second off)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            start_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        return time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, AttributeError, ValueError, IndexError):
        import psutil

        return max(0.0, time.time() - psutil.Process().create_time())


@contextmanager
def _timed(steps: list[DrillStep], name: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    steps.append(DrillStep(name, time.perf_counter() - start))


def run_drill(
    open_store: Callable[[], AbstractContextManager[Any]],
    out_dir: Path,
    actor: str,
    seed: int | None = None,
    lot: str | None = None,
    gtin: str | None = None,
    lang: str = "en",
    startup_seconds: float | None = None,
) -> DrillResult:
    """Drill `lot` (or a lot picked with `seed`) on the store `open_store()` opens; write the reports to `out_dir`.

    `open_store` gives the store as a context manager (the CLI's), so opening it is one of the timed steps.
    `startup_seconds` (the CLI's process age when the command began: `process_age()`) is the first
    step, the interpreter's start and imports, so the times are from a cold start.
    """
    from trace_store.queries import device_names
    from traceability import drill, recall
    from tracehub.recall_report import report_gtins, to_consignee_csv, to_html

    started_at = datetime.now(UTC)
    steps = [] if startup_seconds is None else [DrillStep("process start", startup_seconds)]
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = started_at.strftime("%Y%m%dT%H%M%S.%fZ")
    with ExitStack() as stack:
        with _timed(steps, "open store"):
            store = stack.enter_context(open_store())
        with _timed(steps, "find lot"):
            gtin, lot = drill.pick_lot(store, seed=seed, lot=lot, gtin=gtin)
        with _timed(steps, "impact"):
            reason = f"recall drill {stamp}: lot {lot} of {gtin}"
            report = recall.preview(store, gtin, [lot], reason=reason, status="drill")
        consignee_file = out_dir / f"drill-{stamp}-consignees.csv"
        with _timed(steps, "consignees"):
            names = device_names(store, report_gtins(report))
            consignee_file.write_text(to_consignee_csv(report, lang, names), encoding="utf-8", newline="")
        to_consignees = sum(s.seconds for s in steps)
        html_file = out_dir / f"drill-{stamp}-report.html"
        with _timed(steps, "report written"):
            html_file.write_text(to_html(report, lang, names), encoding="utf-8")
        files = [consignee_file, html_file]
        shipments = len({d.shipment_id for c in report.consignees for d in c.deliveries})
        drill_id = drill.record_drill(
            store,
            started_at=started_at,
            actor=actor,
            gtin=gtin,
            lot=lot,
            seed=seed,
            consignees=len(report.consignees),
            shipments=shipments,
            seconds_to_consignees=to_consignees,
            steps=steps,
            reports=[str(f) for f in files],
        )
    return DrillResult(drill_id, gtin, lot, len(report.consignees), shipments, steps, to_consignees, files)
