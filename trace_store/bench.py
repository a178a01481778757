"""Load and trace timings on a scratch store: `python -m trace_store.bench URL [--lines N]`.

Loads N synthetic shipment lines through `Store.commit_batch` in batches of ~5k lines (1,000
shipments of 5 lines), then times `trace_lot` on random lots. Point it at a throwaway database:
it adds data to whatever is there.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from data_dictionary.models import Record, Shipment, ShipmentLine
from trace_store.batch import LandedRaw, LoadBatch
from trace_store.jsonable import canonical_json
from trace_store.queries import trace_lot
from trace_store.store import Store

GTINS = [f"0950600013{n:04d}" for n in range(10)]
LOTS_PER_GTIN = 1000
LINES_PER_SHIPMENT = 5


def _batch(run_id: int, first: int, shipments: int, rng: random.Random) -> LoadBatch:
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    records: list[Record] = []
    landed: list[LandedRaw] = []
    for n in range(first, first + shipments):
        when = t0 + timedelta(minutes=n)
        lines = tuple(
            ShipmentLine(
                line_no=i,
                gtin=rng.choice(GTINS),
                lot=f"L{rng.randrange(LOTS_PER_GTIN):04d}",
                qty=Decimal(rng.randint(1, 20)),
                tracking="lot",
            )
            for i in range(1, LINES_PER_SHIPMENT + 1)
        )
        record = Shipment(
            source="bench",
            source_updated_at=when,
            shipment_id=f"S{n:08d}",
            order_number=f"SO{n}",
            ship_date=when,
            ship_to_name=f"Hospital {n % 5000}",
            ship_to_region="CN-31",
            lines=lines,
        )
        payload = record.model_dump(mode="json")
        digest = hashlib.sha256(canonical_json(payload).encode()).hexdigest()
        records.append(record)
        landed.append(LandedRaw(record.shipment_id, digest, when, payload))
    return LoadBatch(
        run_id=run_id,
        source="bench",
        entity="shipment",
        pulled=shipments,
        unchanged=0,
        landed=landed,
        records=records,
        loaded=shipments,
        cursor=records[-1].source_updated_at,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--batch-shipments", type=int, default=1000)
    parser.add_argument("--traces", type=int, default=500)
    args = parser.parse_args()

    store = Store.open(args.url)
    store.upgrade()
    rng = random.Random(7)
    run = store.begin_run("bench", "shipment")
    shipments = args.lines // LINES_PER_SHIPMENT
    loaded, spent = 0, 0.0
    for first in range(0, shipments, args.batch_shipments):
        batch = _batch(run, first, min(args.batch_shipments, shipments - first), rng)
        started = time.perf_counter()
        store.commit_batch(batch)
        spent += time.perf_counter() - started
        loaded += len(batch.records) * LINES_PER_SHIPMENT
        if (first // args.batch_shipments) % 20 == 0:
            print(f"{loaded:>9,} lines  {loaded / spent:>9,.0f} lines/s", flush=True)
    store.finish_run(run)
    print(f"commit_batch: {loaded:,} lines in {spent:.1f} s = {loaded / spent:,.0f} lines/s")

    timings = []
    with store.connect() as conn:
        for _ in range(args.traces):
            gtin, lot = rng.choice(GTINS), f"L{rng.randrange(LOTS_PER_GTIN):04d}"
            started = time.perf_counter()
            deliveries = trace_lot(conn, gtin, lot)
            timings.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(timings, n=20)[-1]
    print(
        f"trace_lot: {len(timings)} lots, ~{len(deliveries)} deliveries each; "
        f"p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, max {max(timings):.1f} ms"
    )
    store.close()


if __name__ == "__main__":
    main()
