"""Writing a simulated company: one file per table (CSV or Parquet), ``truth.json``, and a
GBK-encoded Chinese CRM export of the orders in ``crm_export/`` (kept apart so that loading the
folder does not count the orders twice). Output is byte-identical for the same company.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from loyalscope.errors import ConfigError
from loyalscope.i18n import t

if TYPE_CHECKING:
    from loyalscope.data.simulate import SimulatedCompany

FORMATS = ("csv", "parquet")
GBK_FILE = "订单_gbk.csv"
GBK_DIR = "crm_export"
CHANNEL_ZH = {"online": "线上商城", "store": "门店", "app": "App", "wechat": "微信小程序"}
CATEGORY_ZH = {"apparel": "服装", "beauty": "美妆", "electronics": "数码家电", "food": "食品",
               "home": "家居", "sports": "运动户外", "books": "图书"}


def write_company(company: SimulatedCompany, out_dir: Path, format: str = "csv") -> dict[str, Path]:
    """Write ``company`` under ``out_dir`` (created); see the module docstring."""
    if format not in FORMATS:
        raise ConfigError(t("core.input_errors.unknown_format", format=format), value=format,
                          fix=t("core.input_errors.unknown_format_fix"))
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, df in company.tables.items():
        path = out_dir / f"{name}.{format}"
        table = _arrow(df)
        if format == "csv":
            path.write_bytes(_csv_bytes(table))
        else:
            pq.write_table(table, path, compression="zstd", write_statistics=True, store_schema=False)
        paths[name] = path
    truth_path = out_dir / "truth.json"
    truth_path.write_text(json.dumps(company.truth, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                          encoding="utf-8")
    paths["truth"] = truth_path
    export = out_dir / GBK_DIR / GBK_FILE
    export.parent.mkdir(exist_ok=True)
    export.write_bytes(_csv_bytes(crm_orders(company.tables["transactions"]), eol="\r\n").decode("utf-8").encode("gbk"))
    paths["crm_export"] = export
    return paths


def _arrow(df: pd.DataFrame) -> pa.Table:
    """``df`` as an Arrow table without pandas metadata, timestamps in whole seconds."""
    table = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
    for i, fld in enumerate(table.schema):
        if pa.types.is_timestamp(fld.type):
            table = table.set_column(i, fld.name, table.column(i).cast(pa.timestamp("s")))
    return table


def _csv_bytes(table: pa.Table, eol: str = "\n") -> bytes:
    buf = io.BytesIO()
    pcsv.write_csv(table, buf, pcsv.WriteOptions(quoting_style="needed", quoting_header="none", eol=eol))
    return buf.getvalue()


def _text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def _money(amount: np.ndarray, fancy: np.ndarray) -> pa.Array:
    """``123.40``, or ``￥1,234.50`` where ``fancy`` (integer arithmetic, no per-row formatting)."""
    cents = np.rint(amount * 100).astype(np.int64)
    yuan, frac = cents // 100, cents % 100
    tail = pc.binary_join_element_wise(".", pc.utf8_lpad(_text(frac), width=2, padding="0"), "")
    plain = pc.binary_join_element_wise(_text(yuan), tail, "")
    groups = [_text(yuan // 10**9)]
    for power in (10**6, 10**3, 1):
        groups.append(pc.utf8_lpad(_text((yuan // power) % 1000), width=3, padding="0"))
    full = pc.binary_join_element_wise(*groups, ",")
    lead = pc.utf8_ltrim(full, characters="0,")
    lead = pc.if_else(pc.equal(pc.utf8_length(lead), 0), "0", lead)
    styled = pc.binary_join_element_wise("￥", lead, tail, "")
    return pc.if_else(pa.array(fancy), styled, plain)


def _translate(values: pd.Series, names: dict[str, str]) -> pa.Array:
    enc = pa.array(values).dictionary_encode()
    zh = pa.array([names.get(v, v) for v in enc.dictionary.to_pylist()], pa.string())
    return pa.DictionaryArray.from_arrays(enc.indices, zh).cast(pa.string())


def crm_orders(tx: pd.DataFrame) -> pa.Table:
    """The orders as a Chinese CRM exports them: Chinese headers, ``2024/1/5 13:04`` times,
    amounts with ``￥`` (the full-width yuan sign GBK can encode) and thousands separators on
    every third row, Chinese channel and category names."""
    ts = tx["order_ts"].to_numpy()
    day = ts.astype("datetime64[D]")
    y = day.astype("datetime64[Y]").astype(np.int64) + 1970
    mo = day.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (day - day.astype("datetime64[M]")).astype(np.int64) + 1
    minute = (ts - day).astype("timedelta64[m]").astype(np.int64)
    date_part = pc.binary_join_element_wise(_text(y), _text(mo), _text(d), "/")
    clock = pc.binary_join_element_wise(_text(minute // 60), pc.utf8_lpad(_text(minute % 60), width=2, padding="0"),
                                        ":")
    amount = tx["amount"].to_numpy()
    return pa.table({
        "订单编号": pa.array(tx["order_id"]),
        "会员号": pa.array(tx["customer_id"]),
        "下单时间": pc.binary_join_element_wise(date_part, clock, " "),
        "实付金额": _money(amount, np.arange(amount.size) % 3 == 0),
        "渠道": _translate(tx["channel"], CHANNEL_ZH),
        "商品类别": _translate(tx["category"], CATEGORY_ZH),
    })
