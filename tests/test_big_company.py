"""``benchmarks/big_company.py``: the 10M-customer benchmark company, written block by block, is
the blocks' simulated companies one after the other, each id given its block's digit."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from benchmarks.big_company import ID_COLUMNS, write_blocks

from loyalscope.data.simulate import simulate
from loyalscope.data.simulate_io import _arrow


def _without_block(table: pa.Table, block: int) -> pa.Table:
    """The rows of ``block`` (by the digit after the first id's letter), that digit removed."""
    first = next(c for c in table.column_names if c in ID_COLUMNS)
    mine = pc.equal(pc.utf8_slice_codeunits(table[first], 1, 2), str(block))
    table = table.filter(mine)
    for i, name in enumerate(table.column_names):
        if name in ID_COLUMNS:
            col = table[name]
            stripped = pc.binary_join_element_wise(pc.utf8_slice_codeunits(col, 0, 1),
                                                   pc.utf8_slice_codeunits(col, 2), "")
            table = table.set_column(i, name, stripped)
    return table


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_blocks_are_the_simulated_companies_with_block_ids(tmp_path: Path, fmt: str) -> None:
    rows = write_blocks(tmp_path, blocks=3, customers=300, density=2.0, seed=7, format=fmt)
    companies = [simulate(customers=300, seed=7 + b, purchase_density=2.0) for b in range(3)]
    for name in ("customers", "transactions", "returns", "referrals", "surveys"):
        path = tmp_path / f"{name}.{fmt}"
        if fmt == "parquet":
            combined = pq.read_table(path)
        else:  # every column as text, as written
            combined = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
                column_types={c: pa.string() for c in pcsv.read_csv(path).column_names},
                strings_can_be_null=True))
        assert combined.num_rows == rows[name] == sum(len(c.tables[name]) for c in companies)
        for b, company in enumerate(companies):
            expected = _arrow(company.tables[name])
            got = _without_block(combined, b)
            if fmt == "csv":  # read back as text: the ids compared, the other columns counted
                assert got.num_rows == expected.num_rows, (name, b)
                for c in ID_COLUMNS:
                    if c in got.column_names:
                        assert got[c].equals(expected[c].cast(pa.string())), (name, b, c)
            else:
                assert got.equals(expected.cast(got.schema)), (name, b)
    ids = pq.read_table(tmp_path / "customers.parquet")["customer_id"] if fmt == "parquet" else \
        pcsv.read_csv(tmp_path / "customers.csv")["customer_id"]
    assert pc.count_distinct(ids).as_py() == 900  # unique across blocks
