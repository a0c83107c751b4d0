"""A simulated company too large to simulate in one piece: ``blocks`` companies of ``customers``
each (seeds ``seed``, ``seed + 1``, ...) written one after the other into the same files.

``loyalscope simulate`` builds a company in memory (10M customers / 100M orders would need tens
of gigabytes), so issue 14's largest size is written block by block: block ``b`` is an ordinary
simulated company whose identifiers get the block's digit after their letter (``C0000001`` ->
``C30000001`` in block 3; customer, order, complaint and survey-response ids, and both ids of a
referral), so ids stay unique and every reference (returns -> orders, referrals -> customers)
stays inside its block. Product ids are shared, as in one shop. The files have the
simulator's own CSV form (header once, text quoted) or are Parquet (``--format parquet``: one
row group per block, zstd); the GBK CRM export and ``truth.json`` are not written (``analyze``
reads neither).

Usage: ``python -m benchmarks.big_company OUT --blocks 10 --customers 1000000 --density 4``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

ID_COLUMNS = ("customer_id", "order_id", "complaint_id", "response_id", "referrer_id", "referred_id")
MAX_BLOCKS = 10  # one digit per block keeps the ids' width fixed and unique


def _with_block(column: pa.ChunkedArray, block: int) -> pa.ChunkedArray:
    """``X123`` -> ``X<block>123`` (nulls stay null)."""
    head = pc.utf8_slice_codeunits(column, 0, 1)
    tail = pc.utf8_slice_codeunits(column, 1)
    digit = pa.scalar(str(block), type=head.type)
    return pc.binary_join_element_wise(head, digit, tail, pa.scalar("", type=head.type),
                                       null_handling="emit_null")


def write_blocks(out: Path, blocks: int, customers: int, density: float, seed: int = 0,
                 format: str = "csv") -> dict[str, int]:
    """Write the company under ``out`` (``format``: csv or parquet, one file per table, a row
    group per block); return the rows written per table."""
    from loyalscope.data.simulate import simulate
    from loyalscope.data.simulate_io import _arrow

    if not 1 <= blocks <= MAX_BLOCKS:
        raise SystemExit(f"--blocks must be 1-{MAX_BLOCKS} (one digit per block in the ids)")
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    writers: dict[str, pq.ParquetWriter] = {}
    try:
        for block in range(blocks):
            start = time.perf_counter()
            company = simulate(customers=customers, seed=seed + block, purchase_density=density)
            for name in list(company.tables):
                table = _arrow(company.tables.pop(name))
                for i, fld in enumerate(table.schema):
                    if fld.name in ID_COLUMNS:
                        table = table.set_column(i, fld.name, _with_block(table.column(i), block))
                if format == "parquet":
                    if name not in writers:
                        writers[name] = pq.ParquetWriter(out / f"{name}.parquet", table.schema,
                                                         compression="zstd", store_schema=False)
                    writers[name].write_table(table.cast(writers[name].schema))
                else:
                    options = pcsv.WriteOptions(quoting_style="needed", quoting_header="none",
                                                include_header=block == 0, eol="\n")
                    with open(out / f"{name}.csv", "wb" if block == 0 else "ab") as fh:
                        pcsv.write_csv(table, fh, options)
                rows[name] = rows.get(name, 0) + table.num_rows
            del company
            print(f"  block {block + 1}/{blocks}: {time.perf_counter() - start:.1f} s, "
                  f"{rows['transactions']:,} orders so far", file=sys.stderr, flush=True)
    finally:
        for writer in writers.values():
            writer.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers per block")
    parser.add_argument("--density", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    args = parser.parse_args()
    rows = write_blocks(args.out, args.blocks, args.customers, args.density, args.seed, args.format)
    print(json.dumps({"out": str(args.out), "rows": rows}))


if __name__ == "__main__":
    main()
