"""Measure `validate` throughput on generated shipment batches (1k, 5k, 20k lines).

Run: `uv run python -m quality_checks.benchmark`. Every line carries a raw UDI scan (the
costliest rule) and about 2% of lines carry a defect, so failure capture is exercised too.
The one-off GX import is timed apart; each batch size reports its first run (UDI parse cache
cold for new scans) and the best of three.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from data_dictionary.models import Shipment, ShipmentLine
from quality_checks.validation import validate

LINES_PER_SHIPMENT = 5
GTINS = ("06951234500016", "04006381333931", "00036000291452")


def _line(shipment: int, index: int) -> ShipmentLine:
    gtin = GTINS[(shipment + index) % len(GTINS)]
    lot = f"L{2500 + shipment % 97}-{index}"
    expiry = date(2027, 1, 1) + timedelta(days=shipment % 300)
    defect = (shipment * LINES_PER_SHIPMENT + index) % 50 == 0
    return ShipmentLine(
        line_no=index + 1,
        gtin=gtin[:-1] + "9" if defect and gtin[-1] != "9" else gtin,
        tracking="lot",
        lot=lot,
        expiry_date=expiry,
        qty=Decimal(0 if defect else 1 + index),
        udi_raw=f"(01){gtin}(17){expiry:%y%m%d}(10){lot}",
    )


def shipments(lines: int) -> list[Shipment]:
    """`lines` shipment lines, LINES_PER_SHIPMENT to a shipment."""
    start = datetime(2026, 3, 1, tzinfo=UTC)
    return [
        Shipment(
            source="bench",
            source_updated_at=start,
            shipment_id=f"S{n}",
            ship_date=start + timedelta(hours=n),
            ship_to_name="Hospital",
            lines=tuple(_line(n, i) for i in range(LINES_PER_SHIPMENT)),
        )
        for n in range(lines // LINES_PER_SHIPMENT)
    ]


def main() -> None:
    started = time.perf_counter()
    validate("shipment", shipments(LINES_PER_SHIPMENT))
    print(f"first call (GX import + warm-up): {time.perf_counter() - started:.2f}s")
    for size in (1_000, 5_000, 20_000):
        batch = shipments(size)
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            failures = validate("shipment", batch)
            timings.append(time.perf_counter() - started)
        first, best = timings[0], min(timings)
        print(
            f"{size:>6} lines / {len(batch):>5} shipments: first {first:.3f}s, best {best:.3f}s = "
            f"{len(batch) / best:,.0f} records/s, {size / best:,.0f} lines/s; {len(failures)} failing records"
        )


if __name__ == "__main__":
    main()
